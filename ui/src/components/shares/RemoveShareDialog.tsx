// Forget a share: its folder and files stay where they are.
import { useState } from "react";
import { invoke } from "../../api";
import { Dialog } from "../dialog/Dialog";

export function RemoveShareDialog({ name, path, onClose, onRemoved }: { name: string; path: string; onClose: () => void; onRemoved: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const go = async () => {
    setBusy(true);
    try {
      await invoke("shareRemove", { name });
      onRemoved();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Remove the share ${name}?`} onClose={busy ? null : onClose}>
      <p>
        Berth forgets the share. Its folder <code>{path}</code> and every file in it stay on the server.
      </p>
      {error && <p role="alert" className="error">{error}</p>}
      <div className="actions">
        <button onClick={onClose} disabled={busy}>Cancel</button>
        <button className="danger" onClick={go} disabled={busy}>Remove share</button>
      </div>
    </Dialog>
  );
}
