// Add a backup target: a folder of this server (an external drive, a NAS
// mount) or another machine over SFTP, logged into with Berth's own SSH key
// (shown here, to add to that machine's authorized keys). An existing
// repository's password can be given to reach backups another Berth made.
import { useEffect, useState, type FormEvent } from "react";
import { invoke } from "../../api";
import type { TargetAdded } from "../../bindings";
import { targetProblem } from "../../logic";

export function AddTarget({ onAdded }: { onAdded: (a: TargetAdded) => void }) {
  const [kind, setKind] = useState<"folder" | "sftp">("folder");
  const [place, setPlace] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [key, setKey] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (kind !== "sftp" || key) return;
    invoke("backupSshKey").then(setKey, (e: Error) => setError(e.message));
  }, [kind, key]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const problem = targetProblem(kind, place);
    setError(problem);
    if (problem) return;
    setBusy(true);
    try {
      const added = await invoke("backupTargetAdd", {
        path: place.trim(),
        name: name.trim() || null,
        password: password.trim() || null,
      });
      setPlace("");
      setName("");
      setPassword("");
      onAdded(added);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="add-target-title">
      <h2 id="add-target-title">Add a place for backups</h2>
      <fieldset>
        <legend>Where</legend>
        <label className="check">
          <input type="radio" name="target-kind" checked={kind === "folder"} onChange={() => setKind("folder")} /> A folder of this server (an external drive, a NAS mount)
        </label>
        <label className="check">
          <input type="radio" name="target-kind" checked={kind === "sftp"} onChange={() => setKind("sftp")} /> Another machine over SFTP (a NAS, another server)
        </label>
      </fieldset>
      {kind === "folder" ? (
        <label className="field">
          Folder
          <input name="target-folder" placeholder="/mnt/usb/berth-backups" value={place} onChange={(e) => setPlace(e.target.value)} />
          <small>Best on another disk than Berth's: a backup on the same disk is lost with it.</small>
        </label>
      ) : (
        <>
          <label className="field">
            Address
            <input name="target-sftp" placeholder="sftp://backup@nas.local/volume1/berth" value={place} onChange={(e) => setPlace(e.target.value)} />
            <small>sftp://user@host/path; add :port after the host if it is not 22; /~/folder for a folder in the user's home.</small>
          </label>
          <div className="field">
            Berth's key: add this line to <code>~/.ssh/authorized_keys</code> of that user on the other machine first.
            <pre data-testid="ssh-key" className="key">{key ?? "…"}</pre>
          </div>
        </>
      )}
      <label className="field">
        Name <small>(optional)</small>
        <input name="target-name" placeholder={kind} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label className="field">
        Password of the backups already there <small>(only to reach backups another Berth made)</small>
        <input name="target-password" type="password" autoComplete="off" value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      {error && <p role="alert" className="error">{error}</p>}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Connecting…" : "Add"}
      </button>
    </form>
  );
}
