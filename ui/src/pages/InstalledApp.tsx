// One installed app: its version and state (and what is wrong with a
// service, such as an out-of-memory kill), its update, what it uses, its
// limits and disk cap, the snapshots kept of it (each one can be rolled back to), its updates and
// rollbacks, and its diagnostics bundle; for an app installed from a
// compose file, editing that file and updating to it.
import { useCallback, useEffect, useState } from "react";
import { invoke, listen, openExternal } from "../api";
import type { AppInfo, OperationInfo, SnapshotInfo } from "../bindings";
import { formatBytes, openUrl, originText, outcomeText, rollbackReason, serviceProblems, snapshotReason, statusLight, updateButtonText, updateHistory, versionOf } from "../logic";
import { usePolling } from "../hooks/usePolling";
import { useUpdates } from "../updates";
import { Diagnostics } from "../components/installed/Diagnostics";
import { ComposeDialog, type ComposeTarget } from "../components/install/ComposeDialog";
import { AppShares } from "../components/installed/AppShares";
import { NameAndGate } from "../components/installed/NameAndGate";
import { Limits } from "../components/installed/Limits";
import { Resources } from "../components/installed/Resources";
import { OperationDialog, RollbackConfirm, updateJob, type Job } from "../components/operation/Operation";

const when = (ms: number | null | undefined) => (ms == null ? "—" : new Date(ms).toLocaleString());

export function InstalledAppPage({ app }: { app: string }) {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [snapshots, setSnapshots] = useState<SnapshotInfo[] | null>(null);
  const [history, setHistory] = useState<OperationInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<SnapshotInfo | null>(null);
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [editing, setEditing] = useState<ComposeTarget | null>(null);
  const [editError, setEditError] = useState<string | null>(null);
  const updates = useUpdates();
  const update = updates.of(app);

  const load = useCallback(() => {
    invoke("status", { app }).then(
      (a) => {
        setInfo(a);
        setError(null);
      },
      (e: Error) => setError(e.message),
    );
    invoke("snapshots", { app }).then(setSnapshots, () => setSnapshots([]));
    invoke("ops", { limit: 200 }).then((ops) => setHistory(updateHistory(ops, app)), () => setHistory([]));
  }, [app]);

  usePolling(load, 10000, [load]);
  useEffect(
    () =>
      listen((e) => {
        if (e.app === app && (e.type === "finished" || e.type === "accepted")) load();
      }),
    [app, load],
  );

  if (error && !info) {
    return (
      <section>
        <a href="#/apps">← My apps</a>
        <p role="alert" className="error">{error}</p>
      </section>
    );
  }
  if (!info) return <p>Loading…</p>;
  const editCompose = () => {
    setEditError(null);
    invoke("composeSource", { app }).then(
      (s) => setEditing({ kind: "update", app, compose: s.compose }),
      (e: Error) => setEditError(e.message),
    );
  };
  const { light, label } = statusLight(info);
  const url = openUrl(info, window.location.hostname);
  const problems = serviceProblems(info);
  return (
    <article aria-labelledby="installed-title" className="installed">
      <a href="#/apps">← My apps</a>
      <header className="app-head">
        <span className={`light ${light}`} aria-hidden="true" />
        <div>
          <h1 id="installed-title">{info.id}</h1>
          <p className="muted">
            <span data-testid="app-version">Version {versionOf(info.source)}</span> · <span data-testid="app-status">{label}</span>
            {` · from ${originText(info.origin)}`}
            {info.name !== info.id && <> · <span data-testid="app-name">named {info.name}</span></>}
          </p>
          <p className="muted services" data-testid="app-services">
            {info.services.map((s) => `${s.service}: ${s.state}${s.exitCode != null ? ` (exit ${s.exitCode})` : ""}`).join(" · ")}
          </p>
          {problems.map((p) => (
            <p key={p} className="error service-problem" data-testid="service-problem">{p}</p>
          ))}
        </div>
        <div className="buttons">
          {update && (
            <button className="primary" onClick={() => setJobs([updateJob(update)])}>{updateButtonText(update)}</button>
          )}
          {url && <a className="button" href={url} target="_blank" rel="noreferrer" onClick={(e) => openExternal(url, e)}>Open</a>}
          <a className="button" href={`#/logs/${encodeURIComponent(info.id)}`}>Logs</a>
          {info.origin.kind === "file" && <button onClick={editCompose}>Edit compose</button>}
        </div>
      </header>
      {info.held && (
        <p role="status" className="error" data-testid="app-held">
          Waiting for {info.held}: it starts by itself when that is back.
        </p>
      )}
      {editError && <p role="alert" className="error">{editError}</p>}
      {update?.releaseNotes && (
        <p>
          <strong>What's new in {update.version}:</strong> {update.releaseNotes}
        </p>
      )}

      <NameAndGate info={info} onChanged={load} />

      <Resources app={info.id} />

      <AppShares app={info.id} requests={info.shareRequests} given={info.shares} onChanged={load} />

      <Limits app={info.id} limits={info.limits} onChanged={load} />

      <h2>Snapshots</h2>
      <p className="muted">Berth takes one before each update and rollback: the app's files, images and data as they were.</p>
      {snapshots?.length === 0 && <p>No snapshots yet.</p>}
      {snapshots && snapshots.length > 0 && (
        <table aria-label="Snapshots">
          <thead>
            <tr><th>When</th><th>Version</th><th>Data</th><th>Why</th><th /></tr>
          </thead>
          <tbody>
            {snapshots.map((s) => (
              <tr key={s.id} data-snapshot={s.id}>
                <td>{when(s.createdAt)}</td>
                <td>{versionOf(s.source)}</td>
                <td>{s.bytes != null ? formatBytes(s.bytes) : "—"}</td>
                <td>{snapshotReason(s.reason, snapshots)}</td>
                <td>
                  <button onClick={() => setConfirm(s)}>Roll back to this</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Update history</h2>
      {history?.length === 0 && <p>No updates or rollbacks yet.</p>}
      {history && history.length > 0 && (
        <table aria-label="Update history">
          <thead>
            <tr><th>When</th><th>What</th><th>Outcome</th></tr>
          </thead>
          <tbody>
            {history.map((o) => (
              <tr key={o.id} data-op={o.id}>
                <td>{when(o.startedAt)}</td>
                <td>{o.kind === "update" ? "Update" : "Rollback"}</td>
                <td>
                  {outcomeText(o.outcome)}
                  {o.error && <div className="error">{rollbackReason(o.error)}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <Diagnostics app={info.id} />

      {confirm && (
        <RollbackConfirm
          app={info.id}
          what={`version ${versionOf(confirm.source)} (the snapshot of ${when(confirm.createdAt)})`}
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            setJobs([{ kind: "rollback", app: info.id, snapshot: confirm.id, to: versionOf(confirm.source) }]);
            setConfirm(null);
          }}
        />
      )}
      {editing && (
        <ComposeDialog
          target={editing}
          onClose={() => {
            setEditing(null);
            load();
            updates.reload();
          }}
        />
      )}
      {jobs && (
        <OperationDialog
          jobs={jobs}
          onClose={() => {
            setJobs(null);
            load();
            updates.reload();
          }}
        />
      )}
    </article>
  );
}
