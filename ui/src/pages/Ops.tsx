// Operation history: what Berth did, when, and how it ended.
import { useEffect, useState } from "react";
import { invoke } from "../api";
import type { OperationInfo } from "../bindings";

export function OpsPage() {
  const [ops, setOps] = useState<OperationInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    invoke("ops", { limit: 100 }).then(setOps, (e: Error) => setError(e.message));
  }, []);
  return (
    <section aria-labelledby="ops-title">
      <h1 id="ops-title">History</h1>
      {error && <p role="alert" className="error">{error}</p>}
      {ops?.length === 0 && <p>Nothing has happened yet.</p>}
      {ops && ops.length > 0 && (
        <table>
          <thead>
            <tr><th>When</th><th>App</th><th>What</th><th>Outcome</th></tr>
          </thead>
          <tbody>
            {ops.map((o) => (
              <tr key={o.id}>
                <td>{new Date(o.startedAt ?? 0).toLocaleString()}</td>
                <td>{o.app}</td>
                <td>{o.kind}</td>
                <td>
                  {o.outcome ?? "running"}
                  {o.error && <div className="error">{o.error}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
