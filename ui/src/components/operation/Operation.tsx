// Long operations (install, update, rollback): their progress (overall bar,
// a bar per image downloaded, the step log), and the dialog that runs updates
// and rollbacks one after another.
import { useCallback, useEffect, useRef, useState } from "react";
import { invoke } from "../../api";
import type { AppUpdate, Event } from "../../bindings";
import { useOperation } from "../../hooks/useOperation";
import { describe, imagePercent, operationPercent, resultSentence, succeeded, type OperationKind, type PullState } from "../../logic";
import { Dialog } from "../dialog/Dialog";

/** The overall bar, a bar per image being downloaded, and the step log. */
export function OperationProgress({ events, pulls, kind }: { events: Event[]; pulls: PullState; kind: OperationKind }) {
  const percent = operationPercent(events, kind);
  const log = events.map(describe).filter((l): l is string => l !== null);
  return (
    <div className="progress">
      <label htmlFor={`overall-${kind}`}>Progress</label>
      <progress id={`overall-${kind}`} max={100} value={percent} aria-valuetext={`${percent}%`} />
      <span className="percent" data-testid={`${kind}-percent`}>{percent}%</span>
      {Object.entries(pulls).map(([image, layers]) => (
        <div key={image} className="pull">
          <small>{image}</small>
          <progress max={100} value={imagePercent(layers)} aria-label={`Download of ${image}`} />
        </div>
      ))}
      <ol className="steplog" aria-live="polite">{log.map((l, i) => <li key={i}>{l}</li>)}</ol>
    </div>
  );
}

/** An update or a rollback to run. `to` names where it goes (a version), for the result. */
export type Job =
  | { kind: "update"; app: string; to: string | null }
  | { kind: "rollback"; app: string; snapshot: string | null; to: string | null };

/** The job that updates an app as the check found it. */
export const updateJob = (u: AppUpdate): Job => ({ kind: "update", app: u.app, to: u.version ?? null });

type Result = { job: Job; text: string; ok: boolean; outcome: string | null };

/** Asks before a rollback: what it does, and that it can be undone. */
export function RollbackConfirm({ app, what, onCancel, onConfirm }: { app: string; what: string; onCancel: () => void; onConfirm: () => void }) {
  return (
    <Dialog title={`Roll back ${app}?`} onClose={onCancel}>
      <p>
        {app} goes back to {what}: its files, images and data as they were then. Berth first takes a snapshot of {app} as it is
        now, so you can undo this rollback the same way.
      </p>
      <div className="actions">
        <button onClick={onCancel}>Cancel</button>
        <button className="primary" onClick={onConfirm}>Roll back</button>
      </div>
    </Dialog>
  );
}

/**
 * Runs updates and rollbacks one after another, each with its live progress,
 * and says how each ended. After a failed update it offers to roll back to
 * the newest snapshot.
 */
export function OperationDialog({ jobs: initial, onClose }: { jobs: Job[]; onClose: () => void }) {
  const { start, events, pulls, finished } = useOperation();
  const [jobs, setJobs] = useState(initial);
  const [index, setIndex] = useState(0);
  // The operation the current job runs as, once started.
  const [running, setRunning] = useState<{ index: number; operation: number | null } | null>(null);
  const [results, setResults] = useState<Result[]>([]);
  const [confirming, setConfirming] = useState<string | null>(null);
  const started = useRef(-1);
  const recorded = useRef(-1);
  const current = jobs[index] as Job | undefined;
  const done = index >= jobs.length;

  const record = useCallback((i: number, result: Result) => {
    if (recorded.current >= i) return;
    recorded.current = i;
    setResults((r) => [...r, result]);
    setIndex(i + 1);
  }, []);

  // Start each job once, when its turn comes.
  useEffect(() => {
    if (!current || started.current >= index) return;
    started.current = index;
    const run = () =>
      current.kind === "update"
        ? invoke("update", { app: current.app, composeFile: null, consent: false })
        : invoke("rollback", { app: current.app, to: current.snapshot });
    start(run).then(
      (operation) => setRunning({ index, operation }),
      (e: Error) => {
        const what = current.kind === "update" ? "The update" : "The rollback";
        record(index, { job: current, text: `${what} of ${current.app} could not start: ${e.message}`, ok: false, outcome: null });
      },
    );
  }, [current, index, start, record]);

  // When the running job finishes, say how, and go on with the next.
  useEffect(() => {
    if (!current || !finished || running?.index !== index || finished.operation !== running.operation) return;
    const text = resultSentence(current.kind, finished.outcome, finished.error, current.to);
    record(index, {
      job: current,
      text: jobs.length > 1 ? `${current.app}: ${text}` : text,
      ok: succeeded(finished.outcome) && !finished.error,
      outcome: finished.outcome ?? null,
    });
  }, [current, index, finished, running, jobs.length, record]);

  const last = results[results.length - 1];
  const failedUpdate = done && last && last.job.kind === "update" && (last.outcome === "rolled_back" || last.outcome === "failed") ? last.job : null;
  const shown = current ?? jobs[jobs.length - 1];
  const title =
    initial.length > 1 && shown.kind === "update"
      ? `Updating ${initial.length} apps`
      : shown.kind === "update"
        ? `Updating ${shown.app}`
        : `Rolling back ${shown.app}`;

  return (
    <>
      <Dialog title={title} onClose={done ? onClose : null}>
        {current && initial.length > 1 && current.kind === "update" && (
          <p className="muted">Now: {current.app} ({index + 1} of {initial.length})</p>
        )}
        <OperationProgress events={events} pulls={pulls} kind={shown.kind} />
        {results.map((r, i) => (
          <p key={i} role="status" className={r.ok ? "ok" : "error"} data-testid="operation-result">{r.text}</p>
        ))}
        <div className="actions">
          {failedUpdate && <button onClick={() => setConfirming(failedUpdate.app)}>Roll back</button>}
          <button type="button" onClick={onClose} disabled={!done} className={done ? "primary" : undefined}>Close</button>
        </div>
      </Dialog>
      {confirming && (
        <RollbackConfirm
          app={confirming}
          what="its newest snapshot"
          onCancel={() => setConfirming(null)}
          onConfirm={() => {
            setJobs((j) => [...j, { kind: "rollback", app: confirming, snapshot: null, to: null }]);
            setConfirming(null);
          }}
        />
      )}
    </>
  );
}
