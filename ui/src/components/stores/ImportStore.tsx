// Import a CasaOS or Umbrel store (or a Berth store) from its archive: in a
// browser the .tar.gz or .zip is uploaded (the server takes no path from
// the web); in the desktop app, which runs on the server, a folder or file
// on this computer is added where it is.
import { useState, type FormEvent } from "react";
import { invoke } from "../../api";
import { uploadStore } from "../../account";
import type { StoreInfo } from "../../bindings";
import { storeNameFrom, uploadProblem } from "../../logic";

export function ImportStore({ onAdded, desktop }: { onAdded: (s: StoreInfo) => void; desktop: boolean }) {
  const [file, setFile] = useState<File | null>(null);
  const [path, setPath] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const suggested = desktop ? (path ? storeNameFrom(path) : "") : file ? storeNameFrom(file.name) : "";

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const storeName = name.trim() || suggested;
    let problem: string | null = null;
    if (desktop && !path.trim()) problem = "Give the folder or file of the store on this computer.";
    if (!desktop) problem = file ? uploadProblem(file) : "Choose the store's .tar.gz or .zip file.";
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    try {
      const added = desktop
        ? await invoke("catalogAdd", { location: path.trim(), key: null, name: storeName })
        : await uploadStore(file!, storeName);
      setFile(null);
      setPath("");
      setName("");
      (e.target as HTMLFormElement).reset();
      onAdded(added);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="import-title">
      <h2 id="import-title">Import a CasaOS or Umbrel store</h2>
      <p className="muted small">
        For example the CasaOS app store or the Umbrel apps repository, downloaded from GitHub with <em>Code → Download ZIP</em>. Berth
        converts their apps and shows what it cannot use.
      </p>
      {desktop ? (
        <label className="field">
          Folder or file on this computer
          <input name="path" spellCheck={false} placeholder="/home/me/Downloads/CasaOS-AppStore-main" value={path} onChange={(e) => setPath(e.target.value)} />
        </label>
      ) : (
        <label className="field">
          Store archive (.tar.gz or .zip, at most 64 MB)
          <input name="archive" type="file" accept=".zip,.tar.gz,.tgz,application/zip,application/gzip" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
      )}
      <label className="field">
        Name
        <input name="name" placeholder={suggested || "casaos"} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      {error && <p role="alert" className="error">{error}</p>}
      <button type="submit" className="primary" disabled={busy}>{busy ? "Importing…" : "Import store"}</button>
    </form>
  );
}
