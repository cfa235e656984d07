// Your own compose file, as CasaOS and Dockge users know it: paste it or
// choose a file (read here, by the browser: the server takes no path from
// the web), check it — its services, ports and what it asks of the server,
// in words — consent, and install it with live progress. For an app
// installed from a file: edit its compose file and update to it, through
// the same pipeline as every update (snapshot, swap, health check, the old
// version back if the new one fails).
import { useEffect, useState, type FormEvent } from "react";
import { ApiError, invoke } from "../../api";
import type { ComposeReport } from "../../bindings";
import { useOperation } from "../../hooks/useOperation";
import {
  checkProblems,
  composeFailure,
  composeFileProblem,
  composeProblems,
  findingLines,
  resultSentence,
  severityText,
  succeeded,
  summaryLines,
  GATE_TEXT, HOST_PORT_LABEL, HOST_PORT_TEXT,
  nameChoiceProblem,
  suggestedName,
} from "../../logic";
import { Dialog } from "../dialog/Dialog";
import { OperationProgress } from "../operation/Operation";
import { permissionText } from "./permissions";

/** What the dialog does: install a new app, or update an installed one from its edited compose text. */
export type ComposeTarget = { kind: "install" } | { kind: "update"; app: string; compose: string };

const failureOf = (e: unknown) => (e instanceof ApiError ? e : { message: (e as Error).message });

export function ComposeDialog({ target, onClose }: { target: ComposeTarget; onClose: () => void }) {
  const mode = target.kind;
  const [text, setText] = useState(target.kind === "update" ? target.compose : "");
  const [appId, setAppId] = useState("");
  const [report, setReport] = useState<ComposeReport | null>(null);
  const [consent, setConsent] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const [checking, setChecking] = useState(false);
  // Its name on Berth's proxy: by default one made from its id.
  const [name, setName] = useState("");
  const [gate, setGate] = useState(false);
  const [hostPort, setHostPort] = useState(true);
  const [takenBy, setTakenBy] = useState<Record<string, string>>({});
  useEffect(() => {
    if (mode !== "install") return;
    invoke("apps").then(
      (apps) => setTakenBy(Object.fromEntries(apps.map((a) => [a.name, a.id]))),
      () => {}, // unknown: the daemon checks
    );
  }, [mode]);
  const nameError = name.trim() ? nameChoiceProblem(name.trim(), takenBy) : null;
  const { operation, events, pulls, finished, start } = useOperation();
  const app = target.kind === "update" ? target.app : appId.trim() || report?.appId || "";

  // Any change makes the last check stale: what was shown may no longer be true.
  const edit = (next: string) => {
    setText(next);
    setReport(null);
    setConsent(false);
  };

  async function choose(file: File | undefined) {
    if (!file) return;
    const problem = composeFileProblem(file);
    setProblems(problem ? [problem] : []);
    if (!problem) edit(await file.text());
  }

  async function check() {
    const found = checkProblems({ mode, text, appId: appId.trim() });
    setProblems(found);
    if (found.length) return;
    setChecking(true);
    try {
      const id = target.kind === "update" ? target.app : appId.trim() || null;
      setReport(await invoke("composeCheck", { compose: text, appId: id }));
      setConsent(false);
    } catch (e) {
      setReport(null);
      setProblems(composeFailure(failureOf(e)));
    } finally {
      setChecking(false);
    }
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    const found = composeProblems({ mode, text, appId: appId.trim(), report, consent });
    if (mode === "install" && nameError) found.push(nameError);
    setProblems(found);
    if (found.length) return;
    try {
      await start(() =>
        target.kind === "update"
          ? invoke("update", { app: target.app, compose: text, consent })
          : invoke("install", { compose: text, appId: app, consent, name: name.trim() || null, gate, noHostPort: !hostPort }),
      );
    } catch (err) {
      setProblems(composeFailure(failureOf(err)));
    }
  }

  const title = target.kind === "update" ? `Edit the compose file of ${target.app}` : "Install your own app";
  const ok = finished !== null && succeeded(finished.outcome) && !finished.error;
  const ending =
    finished === null
      ? null
      : mode === "install"
        ? ok
          ? `${app} is installed.`
          : (finished.error ?? "The install failed.")
        : ok
          ? `${app} runs the edited compose file.`
          : resultSentence("update", finished.outcome, finished.error, null);

  return (
    <Dialog title={title} onClose={operation === null || finished ? onClose : null}>
      {operation === null ? (
        <form onSubmit={submit} className="compose-form">
          <label className="field">
            Compose file
            <textarea
              name="compose"
              className="compose-text"
              rows={14}
              spellCheck={false}
              autoCapitalize="off"
              autoCorrect="off"
              placeholder={"services:\n  web:\n    image: nginx:1.27\n    ports:\n      - \"8080:80\""}
              value={text}
              onChange={(e) => edit(e.target.value)}
            />
            <small>docker-compose.yml as Docker reads it; a folder of yours on the server is not needed.</small>
          </label>
          <label className="field">
            Or choose a file
            <input name="composeFile" type="file" accept=".yml,.yaml,text/yaml,application/yaml,text/plain" onChange={(e) => void choose(e.target.files?.[0])} />
          </label>
          {mode === "install" && (
            <label className="field">
              App id
              <input
                name="appId"
                autoComplete="off"
                spellCheck={false}
                placeholder={report?.appId ?? "from the file's name"}
                value={appId}
                onChange={(e) => {
                  setAppId(e.target.value);
                  setReport(null);
                  setConsent(false);
                }}
              />
              <small>Names its folder and containers. By default the file's name, else its first service's.</small>
            </label>
          )}
          {mode === "install" && (
            <>
              <label className="field">
                Name
                <input
                  name="appName"
                  autoComplete="off"
                  spellCheck={false}
                  placeholder={app ? suggestedName(app, Object.keys(takenBy)) : "from the app id"}
                  value={name}
                  aria-invalid={nameError ? true : undefined}
                  onChange={(e) => setName(e.target.value)}
                />
                <small>{nameError ?? "Its address on your network: lowercase letters, digits and -. By default made from the app id."}</small>
              </label>
              <label className="check">
                <input type="checkbox" name="gate" checked={gate} onChange={(e) => setGate(e.target.checked)} /> Require Berth login
              </label>
              <small className="muted">{GATE_TEXT}</small>
              <label className="check">
                <input type="checkbox" name="hostPort" checked={hostPort} onChange={(e) => setHostPort(e.target.checked)} /> {HOST_PORT_LABEL}
              </label>
              <small className="muted">{HOST_PORT_TEXT}</small>
            </>
          )}
          <div className="actions start">
            <button type="button" onClick={() => void check()} disabled={checking}>
              {checking ? "Checking…" : "Check"}
            </button>
          </div>
          {report && <CheckResult report={report} />}
          {report?.needsConsent && (
            <label className="check">
              <input type="checkbox" name="consent" checked={consent} onChange={(e) => setConsent(e.target.checked)} /> I allow what this app asks of my server
            </label>
          )}
          {problems.length > 0 && (
            <ul role="alert" className="error">{problems.map((p) => <li key={p}>{p}</li>)}</ul>
          )}
          <div className="actions">
            <button type="button" onClick={onClose}>Cancel</button>
            <button type="submit" className="primary">
              {mode === "install" ? "Install" : "Update"}
            </button>
          </div>
        </form>
      ) : (
        <div>
          <OperationProgress events={events} pulls={pulls} kind={mode} />
          {ending && (
            <p role="status" className={ok ? "ok" : "error"} data-testid="compose-result">{ending}</p>
          )}
          <div className="actions">
            {ok && mode === "install" && (
              <a className="button primary" href={`#/apps/${encodeURIComponent(app)}`} onClick={onClose}>Go to the app</a>
            )}
            <button type="button" onClick={onClose} disabled={!finished}>Close</button>
          </div>
        </div>
      )}
    </Dialog>
  );
}

/** What the check found: services, ports, and each finding in words. */
function CheckResult({ report }: { report: ComposeReport }) {
  const findings = findingLines(report);
  return (
    <section className="card compose-check" aria-label="What Berth found" data-testid="compose-check">
      <p><strong>App id:</strong> {report.appId}</p>
      {summaryLines(report).map((l) => <p key={l} className="small">{l}</p>)}
      {findings.length === 0 ? (
        <p className="ok">It asks nothing of your server beyond its own containers and data folder.</p>
      ) : (
        <ul className="findings">
          {findings.map((f) => (
            <li key={f.key} className={`finding ${f.severity}`} data-severity={f.severity}>
              <strong>{permissionText(f.kind)}</strong> <span className="severity">{severityText(f.severity)}</span>
              <div>{f.text}</div>
              {f.consent === "given" && <small className="muted">You allowed this before.</small>}
            </li>
          ))}
        </ul>
      )}
      {report.warnings.length > 0 && (
        <ul className="muted small">{report.warnings.map((w) => <li key={w}>{w}</li>)}</ul>
      )}
    </section>
  );
}
