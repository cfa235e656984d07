// Remove a store: its apps leave the app store; apps installed from it stay.
import { useState } from "react";
import { invoke } from "../../api";
import { Dialog } from "../dialog/Dialog";

export function RemoveStoreDialog({ name, onClose, onRemoved }: { name: string; onClose: () => void; onRemoved: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const go = async () => {
    setBusy(true);
    try {
      await invoke("catalogRemove", { name });
      onRemoved();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Remove the store ${name}?`} onClose={busy ? null : onClose}>
      <p>Its apps leave the app store. Apps already installed from it stay installed and keep running.</p>
      {error && <p role="alert" className="error">{error}</p>}
      <div className="actions">
        <button onClick={onClose} disabled={busy}>Cancel</button>
        <button className="danger" onClick={go} disabled={busy}>Remove store</button>
      </div>
    </Dialog>
  );
}
