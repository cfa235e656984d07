// Reclaim space: first what a cleanup would free (a dry run), then, once
// confirmed, the cleanup itself and what it freed. Images a kept snapshot
// needs stay, so every rollback still works.
import { useState } from "react";
import { invoke } from "../../api";
import type { PruneReport } from "../../bindings";
import { formatBytes, pruneSummary } from "../../logic";

type State =
  | { step: "idle" }
  | { step: "looking" }
  | { step: "found"; report: PruneReport }
  | { step: "freeing"; report: PruneReport }
  | { step: "freed"; report: PruneReport };

export function ReclaimSpace() {
  const [state, setState] = useState<State>({ step: "idle" });
  const [error, setError] = useState<string | null>(null);

  const look = async () => {
    setError(null);
    setState({ step: "looking" });
    try {
      setState({ step: "found", report: await invoke("imagesPrune", { olderThanDays: null, dryRun: true }) });
    } catch (e) {
      setError((e as Error).message);
      setState({ step: "idle" });
    }
  };
  const free = async (found: PruneReport) => {
    setError(null);
    setState({ step: "freeing", report: found });
    try {
      setState({ step: "freed", report: await invoke("imagesPrune", { olderThanDays: null, dryRun: false }) });
    } catch (e) {
      setError((e as Error).message);
      setState({ step: "found", report: found });
    }
  };

  const report = state.step === "found" || state.step === "freeing" || state.step === "freed" ? state.report : null;
  return (
    <section className="card reclaim" aria-labelledby="reclaim-title">
      <h2 id="reclaim-title">Storage</h2>
      <p className="muted">
        Images no app needs any more take up disk space. Berth keeps those a snapshot needs, so you can still roll back.
      </p>
      {report && (
        <>
          <p role="status" data-testid="reclaim-summary" className={state.step === "freed" ? "ok" : undefined}>
            {pruneSummary(report)}
          </p>
          {report.images.length > 0 && (
            <ul className="images">
              {report.images.map((i) => (
                <li key={i.id}>
                  {i.references.length ? i.references.join(", ") : i.id.slice(0, 19)}
                  {i.bytes != null && <span className="muted"> · {formatBytes(i.bytes)}</span>}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      {error && <p role="alert" className="error">{error}</p>}
      <div className="buttons">
        {(state.step === "idle" || state.step === "looking" || state.step === "freed") && (
          <button onClick={look} disabled={state.step === "looking"}>
            {state.step === "looking" ? "Looking…" : state.step === "freed" ? "Look again" : "Reclaim space"}
          </button>
        )}
        {(state.step === "found" || state.step === "freeing") && (
          <>
            {state.report.images.length > 0 && (
              <button className="danger" onClick={() => free(state.report)} disabled={state.step === "freeing"}>
                {state.step === "freeing" ? "Freeing…" : `Free ${formatBytes(state.report.bytes ?? 0)}`}
              </button>
            )}
            <button onClick={() => setState({ step: "idle" })} disabled={state.step === "freeing"}>
              {state.report.images.length > 0 ? "Cancel" : "OK"}
            </button>
          </>
        )}
      </div>
    </section>
  );
}
