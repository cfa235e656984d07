// Browse one of an app's backups folder by folder and put chosen files or
// folders back into the app while it runs (what they replace is kept).
import { useEffect, useState } from "react";
import { invoke } from "../../api";
import type { BackupEntry, BackupInfo } from "../../bindings";
import { backupLine, canPutBack, crumbs, filesRestoredText, formatBytes } from "../../logic";
import { Dialog } from "../dialog/Dialog";

export function BrowseFiles({ app, target, onClose }: { app: string; target: string; onClose: () => void }) {
  const [backups, setBackups] = useState<BackupInfo[] | null>(null);
  const [backup, setBackup] = useState<string | null>(null);
  const [path, setPath] = useState("");
  const [entries, setEntries] = useState<BackupEntry[] | null>(null);
  const [chosen, setChosen] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const [working, setWorking] = useState(false);

  useEffect(() => {
    invoke("backups", { app, target }).then(
      (b) => (setBackups(b), setBackup(b[0]?.id ?? null)),
      (e: Error) => setError(e.message),
    );
  }, [app, target]);
  useEffect(() => {
    if (!backup) return;
    setEntries(null);
    invoke("backupFiles", { app, backup, path, target }).then(setEntries, (e: Error) => setError(e.message));
  }, [app, backup, path, target]);

  const toggle = (p: string) => setChosen((c) => (c.includes(p) ? c.filter((x) => x !== p) : [...c, p]));
  const putBack = async () => {
    if (!backup) return;
    setWorking(true);
    setError(null);
    setSaid(null);
    try {
      const r = await invoke("restoreFiles", { app, backup, paths: chosen, target });
      setSaid(filesRestoredText(r));
      setChosen([]);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setWorking(false);
    }
  };

  return (
    <Dialog title={`Files of ${app}'s backups`} onClose={working ? null : onClose}>
      {error && <p role="alert" className="error">{error}</p>}
      {said && <p role="status" className="ok" data-testid="files-result">{said}</p>}
      {!backups && !error && <p>Reading the backups at {target}…</p>}
      {backups && backups.length === 0 && <p>{target} holds no backup of {app} yet.</p>}
      {backups && backups.length > 0 && (
        <label>
          Backup{" "}
          <select value={backup ?? ""} onChange={(e) => (setBackup(e.target.value), setPath(""), setChosen([]))} aria-label="Backup">
            {backups.map((b) => (
              <option key={b.id} value={b.id}>
                {backupLine(b)}
              </option>
            ))}
          </select>
        </label>
      )}
      {backup && (
        <nav aria-label="Folder" className="crumbs">
          {crumbs(path).map((c, i, all) =>
            i === all.length - 1 ? (
              <strong key={c.path}>{c.name}</strong>
            ) : (
              <span key={c.path}>
                <button className="link" onClick={() => setPath(c.path)}>
                  {c.name}
                </button>{" "}
                /{" "}
              </span>
            ),
          )}
        </nav>
      )}
      {backup && !entries && !error && <p>Reading the folder…</p>}
      {entries && entries.length === 0 && <p>An empty folder.</p>}
      {entries && entries.length > 0 && (
        <table data-testid="backup-files">
          <thead>
            <tr>
              <th>
                <span className="visually-hidden">Put back</span>
              </th>
              <th>Name</th>
              <th>Size</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.path} data-path={e.path}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Put back ${e.path}`}
                    checked={chosen.includes(e.path)}
                    disabled={!canPutBack(e.path)}
                    title={canPutBack(e.path) ? undefined : "Only the app's data folder and volumes go back into it (berth restore --to puts any path in a folder)"}
                    onChange={() => toggle(e.path)}
                  />
                </td>
                <td>
                  {e.kind === "dir" ? (
                    <button className="link" onClick={() => setPath(e.path)}>
                      {e.name}/
                    </button>
                  ) : (
                    e.name
                  )}
                </td>
                <td>{e.kind === "dir" ? "" : formatBytes(e.size ?? 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted">
        The chosen files and folders go back to their place in {app} while it runs, as they were in the backup. Files they replace are kept
        in Berth's backup folder first; nothing else of {app} changes.
      </p>
      <div className="actions">
        <button onClick={onClose} disabled={working}>
          Close
        </button>
        <button className="primary" disabled={chosen.length === 0 || working} onClick={() => void putBack()}>
          {working ? "Putting back…" : chosen.length > 1 ? `Put back ${chosen.length} items` : "Put back"}
        </button>
      </div>
    </Dialog>
  );
}
