// An app's name on Berth's proxy (`<name>.<domain>`), with a rename, and its
// login gate: only people logged in to Berth can open it; and whether its
// web page is on a port of the server too (switching it re-creates its
// main container: a journaled operation, followed to its end).
import { useEffect, useState, type FormEvent } from "react";
import { invoke } from "../../api";
import type { AppInfo } from "../../bindings";
import { useOperation } from "../../hooks/useOperation";
import { GATE_TEXT, HOST_PORT_LABEL, HOST_PORT_TEXT, nameProblem } from "../../logic";

export function NameAndGate({ info, onChanged }: { info: AppInfo; onChanged: () => void }) {
  const [name, setName] = useState(info.name);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => setName(info.name), [info.name]);
  const problem = name === info.name ? null : nameProblem(name.trim());
  const hostPortChange = useOperation();
  const switching = hostPortChange.operation !== null && !hostPortChange.finished;
  useEffect(() => {
    if (hostPortChange.finished) onChanged();
  }, [hostPortChange.finished, onChanged]);

  async function setHostPort(hostPort: boolean) {
    setError(null);
    setResult(null);
    try {
      await hostPortChange.start(() => invoke("appHostPort", { app: info.id, hostPort }));
    } catch (err) {
      setError((err as Error).message);
    }
  }

  async function rename(e: FormEvent) {
    e.preventDefault();
    const wanted = name.trim();
    if (problem || wanted === info.name) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const renamed = await invoke("rename", { app: info.id, name: wanted });
      setResult(`It answers as ${renamed.name} now.`);
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  async function setGate(gate: boolean) {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      await invoke("appGate", { app: info.id, gate });
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="name-title" className="app-name">
      <h2 id="name-title">Name</h2>
      <form onSubmit={rename} className="row">
        <label>
          Name
          <input name="app-name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={problem ? true : undefined} autoComplete="off" spellCheck={false} />
        </label>
        <button type="submit" disabled={busy || !!problem || name.trim() === info.name}>Rename</button>
      </form>
      {info.openUrl && <p className="muted" data-testid="app-address">Opens at {info.openUrl}</p>}
      {problem && <p className="error" role="alert">{problem}</p>}
      <label className="check">
        <input type="checkbox" name="gate" checked={info.gate} disabled={busy} onChange={(e) => setGate(e.target.checked)} /> Require Berth login
      </label>
      <small className="muted">{GATE_TEXT}</small>
      <label className="check">
        <input type="checkbox" name="hostPort" checked={info.hostPort} disabled={busy || switching} onChange={(e) => void setHostPort(e.target.checked)} /> {HOST_PORT_LABEL}
        {info.openPort != null && ` (port ${info.openPort})`}
      </label>
      <small className="muted">{HOST_PORT_TEXT}</small>
      {switching && <p role="status">Changing…</p>}
      {hostPortChange.finished?.error && <p role="alert" className="error">{hostPortChange.finished.error}</p>}
      {error && <p role="alert" className="error">{error}</p>}
      {result && <p role="status" className="ok">{result}</p>}
    </section>
  );
}
