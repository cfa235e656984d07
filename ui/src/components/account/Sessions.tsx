// Where this user is logged in: each session's browser, address, when it
// logged in and was last used; any can be ended (this one logs out here).
import { useCallback, useState } from "react";
import { endSession, listSessions } from "../../account";
import { logout } from "../../api";
import { usePolling } from "../../hooks/usePolling";
import { ago, browserOf, type SessionInfo } from "../../logic";

const REFRESH_MS = 30000;

/** `changes` counts password changes: each reads the list again. */
export function Sessions({ onLoggedOut, changes }: { onLoggedOut: () => void; changes: number }) {
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ending, setEnding] = useState<string | null>(null);

  const load = useCallback(() => {
    listSessions().then(
      (s) => (setSessions(s), setError(null)),
      (e: Error) => setError(e.message),
    );
  }, []);
  usePolling(load, REFRESH_MS, [load, changes]);

  const end = async (s: SessionInfo) => {
    setEnding(s.id);
    try {
      if (await endSession(s.id)) {
        await logout().catch(() => {});
        onLoggedOut();
        return;
      }
      load();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setEnding(null);
    }
  };

  const now = Date.now();
  return (
    <div className="card sessions">
      <h2>Where you are logged in</h2>
      {error && <p role="alert" className="error">{error}</p>}
      {sessions === null && !error && <p>Loading…</p>}
      {sessions && (
        <table aria-label="Sessions">
          <thead>
            <tr>
              <th>Browser</th>
              <th>Address</th>
              <th>Logged in</th>
              <th>Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr key={s.id} data-current={s.current || undefined}>
                <td title={s.userAgent ?? undefined}>
                  {browserOf(s.userAgent)}
                  {s.current && <strong> (this one)</strong>}
                </td>
                <td>{s.address ?? "—"}</td>
                <td>{new Date(s.createdAt).toLocaleString()}</td>
                <td>{ago(s.lastUsed, now)}</td>
                <td>
                  <button className={s.current ? "danger" : undefined} onClick={() => void end(s)} disabled={ending !== null}>
                    {s.current ? "Log out here" : "End session"}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
