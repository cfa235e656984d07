// Add a share: a name, and a folder of the server (an external drive, a
// data disk) or none for a new folder Berth makes under its home.
import { useState, type FormEvent } from "react";
import { invoke } from "../../api";
import type { ShareInfo } from "../../bindings";
import { shareProblem } from "../../logic";

export function AddShare({ onAdded }: { onAdded: (s: ShareInfo) => void }) {
  const [name, setName] = useState("");
  const [path, setPath] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const problem = shareProblem(name, path);
    setError(problem);
    if (problem) return;
    setBusy(true);
    try {
      const added = await invoke("shareAdd", { name: name.trim(), path: path.trim() || null });
      setName("");
      setPath("");
      onAdded(added);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="card" onSubmit={submit} aria-labelledby="add-share-title">
      <h2 id="add-share-title">Add a share</h2>
      <label className="field">
        Name
        <input name="share-name" placeholder="Movies" value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label className="field">
        Folder on the server
        <input name="share-path" placeholder="/mnt/disk1/Movies (empty: a new folder made by Berth)" value={path} onChange={(e) => setPath(e.target.value)} />
        <small>Any folder of its own, e.g. on an external drive. Not a system folder, and not Berth's own files.</small>
      </label>
      {error && <p role="alert" className="error">{error}</p>}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Adding…" : "Add share"}
      </button>
    </form>
  );
}
