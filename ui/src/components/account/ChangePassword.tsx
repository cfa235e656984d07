// Change the password: the current one, then the new one twice. On success
// every other session of this user is logged out; this one stays.
import { useId, useState, type FormEvent } from "react";
import { changePassword } from "../../account";
import { passwordChanged, passwordProblem } from "../../logic";

export function ChangePassword({ user, onChanged }: { user: string; onChanged?: () => void }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const hint = useId();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setDone(null);
    const problem = passwordProblem(user, current, next, again);
    setError(problem);
    if (problem) return;
    setBusy(true);
    try {
      const ended = await changePassword(current, next);
      setCurrent("");
      setNext("");
      setAgain("");
      setDone(passwordChanged(ended));
      onChanged?.();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card narrow" onSubmit={submit} aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      {/* For password managers: whose password this is. */}
      <input type="text" name="username" autoComplete="username" value={user} readOnly hidden />
      <label className="field">
        Current password
        <input name="current" type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
      </label>
      <label className="field">
        New password
        <input name="password" type="password" autoComplete="new-password" aria-describedby={hint} value={next} onChange={(e) => setNext(e.target.value)} />
      </label>
      <p id={hint} className="muted small">At least 10 characters. Every other session is then logged out; this one stays.</p>
      <label className="field">
        New password again
        <input name="again" type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} />
      </label>
      {error && <p role="alert" className="error">{error}</p>}
      {done && <p role="status" className="ok" data-testid="password-result">{done}</p>}
      <button type="submit" className="primary" disabled={busy}>{busy ? "Changing…" : "Change password"}</button>
    </form>
  );
}
