// My apps: status light, Open, start / stop / restart, logs, uninstall;
// updates (one, or all one after another) and reclaiming disk space.
import { useCallback, useEffect, useState } from "react";
import { invoke, listen, openExternal } from "../api";
import type { AppInfo, AppUpdate } from "../bindings";
import { openUrl, serviceProblems, statusLight, updateButtonText, versionOf } from "../logic";
import { usePolling } from "../hooks/usePolling";
import { useUpdates } from "../updates";
import { ReclaimSpace } from "../components/myapps/ReclaimSpace";
import { UninstallDialog } from "../components/myapps/UninstallDialog";
import { OperationDialog, updateJob, type Job } from "../components/operation/Operation";

/** When the last check ran, in words. */
function checkedText(at: number | null | undefined): string {
  if (at == null) return "Not checked for updates yet.";
  return `Last checked ${new Date(at).toLocaleString()}.`;
}

export function MyAppsPage() {
  const [apps, setApps] = useState<AppInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState<Record<string, string>>({});
  const [removing, setRemoving] = useState<string | null>(null);
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const updates = useUpdates();
  const available = (apps ?? []).map((a) => updates.of(a.id)).filter((u): u is AppUpdate => u !== null);

  const load = useCallback(() => {
    invoke("apps").then(
      (a) => {
        setApps(a);
        setError(null);
      },
      (e: Error) => setError(e.message),
    );
  }, []);
  usePolling(load, 5000, [load]);
  useEffect(
    () =>
      listen((e) => {
        if (e.type === "finished") {
          setBusy((b) => {
            const { [e.app ?? ""]: _, ...rest } = b;
            return rest;
          });
          if (e.error) setMessage(e.error);
          load();
        }
      }),
    [load],
  );

  const act = async (app: string, command: "start" | "stop" | "restart") => {
    setBusy((b) => ({ ...b, [app]: command }));
    setMessage(null);
    try {
      await invoke(command, { app });
    } catch (e) {
      setMessage((e as Error).message);
      setBusy((b) => {
        const { [app]: _, ...rest } = b;
        return rest;
      });
    }
  };

  return (
    <section aria-labelledby="apps-title">
      <h1 id="apps-title">My apps</h1>
      <div className="toolbar updates-bar">
        <button onClick={() => void updates.check()} disabled={updates.checking}>
          {updates.checking ? "Checking for updates…" : "Check for updates"}
        </button>
        {available.length > 0 && (
          <button className="primary" onClick={() => setJobs(available.map(updateJob))}>
            Update all ({available.length})
          </button>
        )}
        <small className="muted" data-testid="updates-checked">
          {updates.checking
            ? ""
            : available.length === 0 && updates.info?.checkedAt != null
              ? `Everything is up to date. ${checkedText(updates.info.checkedAt)}`
              : checkedText(updates.info?.checkedAt)}
        </small>
      </div>
      {updates.error && <p role="alert" className="error">{updates.error}</p>}
      {error && <p role="alert" className="error">{error}</p>}
      {message && <p role="alert" className="error">{message}</p>}
      {apps === null && !error && <p>Loading…</p>}
      {apps?.length === 0 && <p>No apps yet. <a href="#/catalog">Find one in the app store.</a></p>}
      <ul className="apps">
        {apps?.map((a) => {
          const { light, label } = statusLight(a);
          const url = openUrl(a, window.location.hostname);
          const working = busy[a.id];
          const update = updates.of(a.id);
          const checkError = updates.info?.apps.find((u) => u.app === a.id)?.error;
          return (
            <li key={a.id} className="card app-row" data-app={a.id}>
              <span className={`light ${light}`} aria-hidden="true" />
              <div className="grow">
                <span>
                  <a className="app-name" href={`#/apps/${encodeURIComponent(a.id)}`}>{a.id}</a>{" "}
                  <span className="status" data-testid={`status-${a.id}`}>{working ? `${working}…` : label}</span>
                </span>
                <small className="muted" data-testid={`version-${a.id}`}>Version {versionOf(a.source)}</small>
                <small className="muted">{a.services.map((s) => `${s.service}: ${s.state}${s.exitCode != null ? ` (exit ${s.exitCode})` : ""}`).join(" · ")}</small>
                {serviceProblems(a).map((p) => (
                  <small key={p} className="error" data-testid={`problem-${a.id}`}>{p}</small>
                ))}
                {checkError && <small className="muted">Could not check for updates: {checkError}</small>}
              </div>
              <div className="buttons">
                {update && (
                  <button className="primary update" onClick={() => setJobs([updateJob(update)])} disabled={!!working} title={update.releaseNotes ?? undefined}>
                    {updateButtonText(update)}
                  </button>
                )}
                {url && <a className="button primary" href={url} target="_blank" rel="noreferrer" onClick={(e) => openExternal(url, e)}>Open</a>}
                <button onClick={() => act(a.id, "start")} disabled={!!working}>Start</button>
                <button onClick={() => act(a.id, "stop")} disabled={!!working}>Stop</button>
                <button onClick={() => act(a.id, "restart")} disabled={!!working}>Restart</button>
                <a className="button" href={`#/logs/${encodeURIComponent(a.id)}`}>Logs</a>
                <button className="danger" onClick={() => setRemoving(a.id)} disabled={!!working}>Uninstall</button>
              </div>
            </li>
          );
        })}
      </ul>
      <ReclaimSpace />
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
      {removing && (
        <UninstallDialog
          app={removing}
          onClose={() => setRemoving(null)}
          onDone={(err) => {
            if (err) setMessage(err);
            else setBusy((b) => ({ ...b, [removing]: "uninstall" }));
            setRemoving(null);
          }}
        />
      )}
    </section>
  );
}
