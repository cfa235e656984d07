// SMB sharing: the shares chosen below offered on the home network to
// Windows, macOS and Linux computers. The login is the Berth admin's name;
// the password is SMB's own, given when it is turned on.
import { useState, type FormEvent } from "react";
import { invoke } from "../../api";
import type { SmbStatus } from "../../bindings";
import { smbPasswordProblem, smbState } from "../../logic";

export function SmbSettings({ status, onChanged }: { status: SmbStatus; onChanged: (s: SmbStatus) => void }) {
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function set(enabled: boolean, e?: FormEvent) {
    e?.preventDefault();
    const problem = enabled ? smbPasswordProblem(password, again, status.passwordSet) : null;
    setError(problem);
    if (problem) return;
    setBusy(true);
    try {
      onChanged(await invoke("smbSet", { enabled, password: enabled && password ? password : null, port: null }));
      setPassword("");
      setAgain("");
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" aria-labelledby="smb-title" onSubmit={(e) => void set(true, e)} data-testid="smb-settings">
      <h2 id="smb-title">Sharing on the network (SMB)</h2>
      <p>
        <strong data-testid="smb-state">{smbState(status)}</strong>
      </p>
      <p className="muted">
        Computers on your home network open the shares you choose below. Log in as <strong>{status.login ?? "your Berth name"}</strong> with the SMB password set here
        {status.passwordSet ? " (set)" : ""}. Files written over the network belong to the apps' user.
      </p>
      <label className="field">
        {status.passwordSet ? "New SMB password (leave empty to keep it)" : "SMB password"}
        <input type="password" name="smb-password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      <label className="field">
        Again
        <input type="password" name="smb-password-again" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} />
      </label>
      {error && <p role="alert" className="error">{error}</p>}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {status.enabled ? "Save" : "Turn on"}
        </button>
        {status.enabled && (
          <button type="button" onClick={() => void set(false)} disabled={busy}>
            Turn off
          </button>
        )}
      </div>
    </form>
  );
}
