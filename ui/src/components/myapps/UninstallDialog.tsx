// Uninstall an app: its containers go, its data stays unless the user asks,
// and deleting data needs the app's name typed.
import { useState } from "react";
import { invoke } from "../../api";

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
    <div className="backdrop">
      <div className="card dialog" role="dialog" aria-modal="true" aria-labelledby="un-title">
        <h2 id="un-title">Uninstall {app}?</h2>
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
      </div>
    </div>
  );
}
