// Uninstall an app: its containers go, its data stays unless the user asks,
// and deleting data needs the app's name typed.
import { useState } from "react";
import { invoke } from "../../api";
import { Dialog } from "../dialog/Dialog";

export function UninstallDialog({ app, onClose, onDone }: { app: string; onClose: () => void; onDone: (error?: string) => void }) {
  const [purge, setPurge] = useState(false);
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setBusy(true);
    try {
      await invoke("uninstall", { app, purgeData: purge, removeImages: false });
      onDone();
    } catch (e) {
      onDone((e as Error).message);
    }
  };
  return (
    <Dialog title={`Uninstall ${app}?`} onClose={busy ? null : onClose}>
      <p>Its containers go. Its data stays on this server, so installing it again brings everything back.</p>
      <label className="check">
        <input type="checkbox" checked={purge} onChange={(e) => setPurge(e.target.checked)} /> Also delete its data
      </label>
      {purge && (
        <label>
          This cannot be undone. Type <strong>{app}</strong> to confirm.
          <input aria-label="Type the app's name to confirm" value={typed} onChange={(e) => setTyped(e.target.value)} />
        </label>
      )}
      <div className="actions">
        <button onClick={onClose} disabled={busy}>Cancel</button>
        <button className="danger" onClick={go} disabled={busy || (purge && typed !== app)}>
          {purge ? "Uninstall and delete data" : "Uninstall"}
        </button>
      </div>
    </Dialog>
  );
}
