// Backups: where they go (a folder of this server, or another machine over
// SFTP), each app's newest backup, backing one up now with its steps shown as
// they happen, and restoring an app from any of its backups (through the
// update pipeline, with a snapshot of the app as it is taken first).
import { useCallback, useEffect, useState } from "react";
import { invoke, listen } from "../api";
import type { AppInfo, BackupInfo, BackupOverview, ScheduleInfo, Target, TargetAdded } from "../bindings";
import { AddTarget } from "../components/backups/AddTarget";
import { BrowseFiles } from "../components/backups/BrowseFiles";
import { RestoreDialog } from "../components/backups/RestoreDialog";
import { ScheduleCard } from "../components/backups/ScheduleCard";
import { OperationProgress } from "../components/operation/Operation";
import { useOperation } from "../hooks/useOperation";
import { backupDone, backupHealth, backupLine, includesShares, backupStepText, newestByApp, whenText, resultSentence, succeeded, targetAdded, targetKindText, targetPlace } from "../logic";

export function BackupsPage() {
  const [targets, setTargets] = useState<Target[] | null>(null);
  const [target, setTarget] = useState<string | null>(null);
  const [apps, setApps] = useState<AppInfo[]>([]);
  const [backups, setBackups] = useState<BackupInfo[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const [password, setPassword] = useState<TargetAdded | null>(null);
  const [running, setRunning] = useState<{ app: string; step: string } | null>(null);
  const [restoring, setRestoring] = useState<string | null>(null);
  const [restoreOf, setRestoreOf] = useState<{ app: string; backup: BackupInfo } | null>(null);
  const [browsing, setBrowsing] = useState<string | null>(null);
  const [status, setStatus] = useState<BackupOverview | null>(null);
  const [schedule, setSchedule] = useState<ScheduleInfo | null>(null);
  const restore = useOperation();

  const load = useCallback(() => {
    invoke("backupTargets").then(
      (t) => {
        setTargets(t);
        setTarget((cur) => (cur && t.some((x) => x.name === cur) ? cur : (t[0]?.name ?? null)));
      },
      (e: Error) => setError(e.message),
    );
    invoke("apps").then(setApps, (e: Error) => setError(e.message));
    invoke("backupStatus").then(setStatus, (e: Error) => setError(e.message));
    invoke("backupSchedule").then(setSchedule, (e: Error) => setError(e.message));
  }, []);
  useEffect(load, [load]);

  const loadBackups = useCallback(() => {
    if (!target) return;
    invoke("backups", { target }).then(setBackups, (e: Error) => setError(e.message));
  }, [target]);
  useEffect(loadBackups, [loadBackups]);

  // A backup's steps, as they happen.
  useEffect(
    () =>
      listen((e) => {
        if (e.type === "step" && e.app) setRunning((r) => (r && r.app === e.app ? { app: r.app, step: backupStepText(e.step) } : r));
      }),
    [],
  );

  const backUp = async (app: string) => {
    setSaid(null);
    setError(null);
    setRunning({ app, step: "Reaching the target…" });
    try {
      const report = await invoke("backup", { app, target });
      setSaid(`${app}: ${backupDone(report)}`);
      loadBackups();
      load();
    } catch (e) {
      setError(`${app}: ${(e as Error).message}`);
      load();
    } finally {
      setRunning(null);
    }
  };

  const startRestore = async (app: string, b: BackupInfo, shares: boolean) => {
    setRestoreOf(null);
    setSaid(null);
    setError(null);
    setRestoring(app);
    try {
      await restore.start(() => invoke("restore", { app, backup: b.id, target, shares }));
    } catch (e) {
      setError(`${app}: ${(e as Error).message}`);
      setRestoring(null);
    }
  };
  const finished = restore.finished;
  useEffect(() => {
    if (!finished || !restoring) return;
    const sentence = resultSentence("rollback", finished.outcome, finished.error, null);
    if (succeeded(finished.outcome)) setSaid(`${restoring}: restored from its backup. ${sentence}`);
    else setError(`${restoring}: ${sentence}`);
    setRestoring(null);
  }, [finished, restoring]);

  const newest = newestByApp(backups);
  // Apps with backups at the target that are not installed here (a new
  // server, or after an uninstall): restoring one installs it.
  const notHere = Object.keys(newest)
    .filter((id) => !apps.some((a) => a.id === id))
    .sort();
  const setShares = async (app: string, on: boolean) => {
    setError(null);
    try {
      setSchedule(await invoke("backupScheduleSet", { app, includeShares: on }));
      setSaid(on ? `${app}: its backups hold its shares' files from the next one on.` : `${app}: its backups leave its shares out from the next one on.`);
    } catch (e) {
      setError(`${app}: ${(e as Error).message}`);
    }
  };
  const statusOf = (app: string) => status?.apps.find((s) => s.app === app) ?? null;
  const busy = running !== null || restoring !== null;
  return (
    <section aria-labelledby="backups-title" className="backups">
      <h1 id="backups-title">Backups</h1>
      <p className="muted">
        Copies of your apps — their data, settings and exact versions — kept off this server, encrypted, in the open restic format. Restoring an
        app puts it back as it was.
      </p>
      {error && <p role="alert" className="error">{error}</p>}
      {said && <p role="status" className="ok" data-testid="backups-result">{said}</p>}
      {status && status.warnings > 0 && (
        <p role="alert" className="error" data-testid="backup-warnings">
          {status.warnings === 1 ? "1 app has" : `${status.warnings} apps have`} had no successful backup for a day: see below.
        </p>
      )}
      {password?.password && (
        <div className="card warn" data-testid="backup-password">
          <h2>Keep this password</h2>
          <p>Without it nobody can restore these backups, with Berth or with restic. Keep a copy somewhere other than this server.</p>
          <pre className="key">{password.password}</pre>
          <p className="muted">This server keeps it in {password.password_file} (root only). It is shown only now.</p>
          <button onClick={() => setPassword(null)}>I have kept a copy</button>
        </div>
      )}

      <h2>Where backups go</h2>
      {targets && targets.length === 0 && <p>No place for backups yet: add one below.</p>}
      {targets && targets.length > 0 && (
        <table data-testid="targets-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Place</th>
            </tr>
          </thead>
          <tbody>
            {targets.map((t) => (
              <tr key={t.name}>
                <td>
                  {targets.length > 1 ? (
                    <label className="check">
                      <input type="radio" name="target" checked={target === t.name} onChange={() => setTarget(t.name)} /> {t.name}
                    </label>
                  ) : (
                    t.name
                  )}
                </td>
                <td>{targetKindText(t)}</td>
                <td>
                  <code>{targetPlace(t)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {target && (
        <>
          <h2>Apps</h2>
          {apps.length === 0 && notHere.length === 0 && <p>No app is installed.</p>}
          {apps.length + notHere.length > 0 && (
            <table data-testid="backup-apps">
              <thead>
                <tr>
                  <th>App</th>
                  <th>Newest backup at {target}</th>
                  <th>Health</th>
                  <th>Next</th>
                  <th><span className="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {apps.map((a) => (
                  <tr key={a.id} data-app={a.id}>
                    <td>{a.id}</td>
                    <td>{running?.app === a.id ? <span role="status">{running.step}</span> : newest[a.id] ? backupLine(newest[a.id]) : "None yet"}</td>
                    {(() => {
                      const s = statusOf(a.id);
                      const health = s ? backupHealth(s) : null;
                      return (
                        <>
                          <td className={health?.bad ? "error" : undefined} data-testid="backup-health">{health?.text ?? ""}</td>
                          <td>{s?.nextDue ? whenText(s.nextDue) : s && !s.scheduled ? "Not scheduled" : ""}</td>
                        </>
                      );
                    })()}
                    <td className="actions">
                      <label className="check" title="The files of the shares given to the app (Movies, Photos…) go in its backups too; off, only the app's own data does.">
                        <input type="checkbox" checked={includesShares(schedule, a.id)} disabled={busy || !schedule?.schedule} onChange={(e) => void setShares(a.id, e.target.checked)} /> With its shares
                      </label>
                      <button onClick={() => void backUp(a.id)} disabled={busy}>
                        Back up now
                      </button>
                      <button onClick={() => setRestoreOf({ app: a.id, backup: newest[a.id] })} disabled={busy || !newest[a.id]}>
                        Restore…
                      </button>
                      <button onClick={() => setBrowsing(a.id)} disabled={busy || !newest[a.id]}>
                        Files…
                      </button>
                    </td>
                  </tr>
                ))}
                {notHere.map((id) => (
                  <tr key={id} data-app={id} data-testid="backup-not-installed">
                    <td>{id}</td>
                    <td>{running?.app === id ? <span role="status">{running.step}</span> : backupLine(newest[id])}</td>
                    <td>Not installed here</td>
                    <td></td>
                    <td className="actions">
                      <button onClick={() => setRestoreOf({ app: id, backup: newest[id] })} disabled={busy}>
                        Restore…
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
      {restoring && <OperationProgress events={restore.events} pulls={restore.pulls} kind="rollback" />}
      {restoreOf && target && (
        <RestoreDialog app={restoreOf.app} target={target} installed={apps.some((a) => a.id === restoreOf.app)} onClose={() => setRestoreOf(null)} onRestore={(b, shares) => void startRestore(restoreOf.app, b, shares)} />
      )}

      {browsing && target && <BrowseFiles app={browsing} target={target} onClose={() => setBrowsing(null)} />}

      {schedule?.schedule && <ScheduleCard info={schedule} onSaved={load} />}

      <AddTarget
        onAdded={(a) => {
          setSaid(targetAdded(a));
          setPassword(a);
          load();
        }}
      />
    </section>
  );
}
