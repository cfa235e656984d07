// Add a signed remote store: its address and the minisign public key it is
// signed with. Berth fetches it at once and refuses it if the signature fails.
import { useState, type FormEvent } from "react";
import { invoke } from "../../api";
import type { StoreInfo } from "../../bindings";
import { remoteProblem, storeNameFrom } from "../../logic";

export function AddRemoteStore({ onAdded }: { onAdded: (s: StoreInfo) => void }) {
  const [url, setUrl] = useState("");
  const [key, setKey] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const problem = remoteProblem(url, key);
    setError(problem);
    if (problem) return;
    setBusy(true);
    try {
      const added = await invoke("catalogAdd", { location: url.trim(), key: key.trim(), name: name.trim() || storeNameFrom(url.trim()) });
      setUrl("");
      setKey("");
      setName("");
      onAdded(added);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="add-remote-title">
      <h2 id="add-remote-title">Add a signed store</h2>
      <label className="field">
        Address
        <input name="url" type="url" placeholder="https://apps.example.org/store" value={url} onChange={(e) => setUrl(e.target.value)} />
      </label>
      <label className="field">
        Public key
        <input name="key" spellCheck={false} autoComplete="off" placeholder="RWQ…" value={key} onChange={(e) => setKey(e.target.value)} />
        <small>The base64 line of the store's minisign <code>.pub</code> file, as its publisher gives it.</small>
      </label>
      <label className="field">
        Name
        <input name="name" placeholder={url ? storeNameFrom(url) : "family"} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      {error && <p role="alert" className="error">{error}</p>}
      <button type="submit" className="primary" disabled={busy}>{busy ? "Adding…" : "Add store"}</button>
    </form>
  );
}
