// Restore one app from one of its backups: the list of its backups at the
// target, newest first, and what restoring does before it is confirmed.
import { useEffect, useState } from "react";
import { invoke } from "../../api";
import type { BackupInfo } from "../../bindings";
import { backupLine } from "../../logic";
import { Dialog } from "../dialog/Dialog";

export function RestoreDialog({
  app,
  target,
  installed = true,
  onClose,
  onRestore,
}: {
  app: string;
  target: string;
  installed?: boolean;
  onClose: () => void;
  onRestore: (b: BackupInfo, shares: boolean) => void;
}) {
  const [backups, setBackups] = useState<BackupInfo[] | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [shares, setShares] = useState(false);
  useEffect(() => {
    invoke("backups", { app, target }).then(
      (b) => (setBackups(b), setChosen(b[0]?.id ?? null)),
      (e: Error) => setError(e.message),
    );
  }, [app, target]);
  const pick = backups?.find((b) => b.id === chosen) ?? null;
  return (
    <Dialog title={`Restore ${app}`} onClose={onClose}>
      {error && <p role="alert" className="error">{error}</p>}
      {!backups && !error && <p>Reading the backups at {target}…</p>}
      {backups && backups.length === 0 && <p>{target} holds no backup of {app} yet.</p>}
      {backups && backups.length > 0 && (
        <fieldset data-testid="restore-choices">
          <legend>Which backup</legend>
          {backups.map((b) => (
            <label key={b.id} className="check">
              <input type="radio" name="restore-backup" checked={chosen === b.id} onChange={() => setChosen(b.id)} /> {backupLine(b)}
            </label>
          ))}
        </fieldset>
      )}
      {installed ? (
        <p>
          {app} goes back to the chosen backup: its version, settings and data as they were then. Berth first takes a snapshot of {app} as it
          is now, so this restore can be rolled back too.
        </p>
      ) : (
        <p>
          {app} is not installed on this server: it is installed from the chosen backup, with the exact images, settings and data it had then.
          If anything fails, nothing of it is left behind.
        </p>
      )}
      <label className="check">
        <input type="checkbox" checked={shares} onChange={(e) => setShares(e.target.checked)} /> Also put back the files of {app}'s shares, from
        a backup that holds them (shares are in an app's backups once <code>berth backup schedule set --app {app} --include-shares on</code>);
        files added to the shares since stay.
      </label>
      <div className="actions">
        <button onClick={onClose}>Cancel</button>
        <button className="primary" disabled={!pick} onClick={() => pick && onRestore(pick, shares)}>
          Restore
        </button>
      </div>
    </Dialog>
  );
}
