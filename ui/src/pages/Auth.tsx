// First-run setup (create the admin) and login.
import { useState, type FormEvent } from "react";
import { login, setup } from "../api";

export function AuthPage({ mode, onDone }: { mode: "setup" | "login"; onDone: (user: string) => void }) {
  const [user, setUser] = useState(mode === "setup" ? "admin" : "");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    if (mode === "setup" && password !== confirm) {
      setError("The two passwords differ.");
      return;
    }
    setBusy(true);
    try {
      const r = mode === "setup" ? await setup(user, password, code) : await login(user, password);
      onDone(r.user);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="center">
      <form className="card auth" onSubmit={submit} aria-labelledby="auth-title">
        <h1 id="auth-title">{mode === "setup" ? "Welcome to Berth" : "Log in to Berth"}</h1>
        {mode === "setup" && <p>Create the administrator account for this server. Only you will be able to install and manage apps.</p>}
        {mode === "setup" && (
          <label>
            Setup code
            <input name="code" autoComplete="off" spellCheck={false} value={code} onChange={(e) => setCode(e.target.value)} required />
            <small className="muted">
              Printed by <code>berth serve</code> when it started (its output, or <code>journalctl -u berth</code>), and kept in the file{" "}
              <code>setup-code</code> in Berth's home (<code>/var/lib/berth/setup-code</code> by default) until the account exists.
            </small>
          </label>
        )}
        <label>
          User name
          <input name="user" autoComplete="username" value={user} onChange={(e) => setUser(e.target.value)} required />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={mode === "setup" ? "new-password" : "current-password"}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        {mode === "setup" && (
          <label>
            Password again
            <input name="confirm" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} required />
          </label>
        )}
        {error && <p role="alert" className="error">{error}</p>}
        <button type="submit" className="primary" disabled={busy}>
          {mode === "setup" ? "Create account" : "Log in"}
        </button>
      </form>
    </main>
  );
}
