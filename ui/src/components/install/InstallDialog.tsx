// Install: the settings form from the app's schema, resource limits,
// explicit consent to what it asks, how much it downloads, then live progress
// per image and a step log.
import { useEffect, useState, type FormEvent } from "react";
import { ApiError, invoke } from "../../api";
import type { CatalogAppInfo, DownloadSize, ShareInfo } from "../../bindings";
import { useOperation } from "../../hooks/useOperation";
import { choicesToSend, downloadText, GATE_TEXT, HOST_PORT_LABEL, HOST_PORT_TEXT, initialChoices, installFailure, nameChoiceProblem, parseSize, settingsProblems, settingsToSend, suggestedName, type ShareChoices } from "../../logic";
import { SharePicker } from "../shares/SharePicker";
import { Dialog } from "../dialog/Dialog";
import { OperationProgress } from "../operation/Operation";
import { permissionText } from "./permissions";

export function InstallDialog({ info, onClose }: { info: CatalogAppInfo; onClose: () => void }) {
  const m = info.meta;
  const settings = m.settings ?? [];
  const permissions = m.permissions ?? [];
  const requests = m.shares ?? [];
  const [shares, setShares] = useState<ShareInfo[]>([]);
  const [choices, setChoices] = useState<ShareChoices>({});
  const [values, setValues] = useState<Record<string, string>>({});
  const [cpus, setCpus] = useState("");
  const [memory, setMemory] = useState("");
  const [consent, setConsent] = useState(false);
  // Its name on Berth's proxy: the one it would get, until the user types another.
  const [takenBy, setTakenBy] = useState<Record<string, string>>({});
  const [name, setName] = useState<string | null>(null);
  const [gate, setGate] = useState(false);
  const [hostPort, setHostPort] = useState(true);
  const suggested = suggestedName(m.id, Object.keys(takenBy));
  const shownName = name ?? suggested;
  const nameError = name === null ? null : nameChoiceProblem(name.trim(), takenBy);
  const [problems, setProblems] = useState<string[]>([]);
  // Settings the server said have no value: their fields are marked.
  const [missing, setMissing] = useState<string[]>([]);
  const [download, setDownload] = useState<DownloadSize | null>(null);
  const { operation, events, pulls, finished, start } = useOperation();
  // How much installing downloads; if the registry cannot tell, the dialog says nothing of it.
  useEffect(() => {
    let alive = true;
    invoke("downloadSize", { catalogApp: m.id, store: info.store }).then(
      (d) => alive && setDownload(d),
      () => {},
    );
    return () => {
      alive = false;
    };
  }, [m.id, info.store]);

  useEffect(() => {
    let alive = true;
    invoke("apps").then(
      (apps) => alive && setTakenBy(Object.fromEntries(apps.map((a) => [a.name, a.id]))),
      () => {}, // unknown: the daemon checks
    );
    return () => {
      alive = false;
    };
  }, []);

  // The server's shares, for the folders the app asks for: each request
  // starts on the share it suggests, when the server has it.
  useEffect(() => {
    if (requests.length === 0) return;
    let alive = true;
    invoke("shares").then(
      (s) => {
        if (!alive) return;
        setShares(s);
        setChoices(initialChoices(requests, s));
      },
      () => {},
    );
    return () => {
      alive = false;
    };
  }, [requests]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const found = settingsProblems(settings, values);
    const mem = memory.trim() ? parseSize(memory) : null;
    if (memory.trim() && mem === null) found.push("Memory must be a size like 512m or 2g.");
    if (cpus.trim() && !(Number(cpus) > 0)) found.push("CPUs must be a number above 0.");
    if (permissions.length > 0 && !consent) found.push("Tick the box to allow what this app asks of your server.");
    if (nameError) found.push(nameError);
    setProblems(found);
    if (found.length) return;
    try {
      await start(() =>
        invoke("install", {
          catalogApp: m.id,
          store: info.store,
          appId: null,
          settings: settingsToSend(values),
          cpus: cpus.trim() ? Number(cpus) : null,
          memory: mem,
          pids: null,
          consent,
          shares: choicesToSend(choices),
          name: name === null ? null : name.trim(),
          gate,
          noHostPort: !hostPort,
        }),
      );
    } catch (err) {
      const refused = err instanceof ApiError ? err : { message: (err as Error).message };
      const { problems, missing } = installFailure(settings, refused);
      setProblems(problems);
      setMissing(missing);
    }
  }

  const downloads = downloadText(download);

  return (
    <Dialog title={`Install ${m.name}`} onClose={operation === null || finished ? onClose : null}>
      {operation === null ? (
        <form onSubmit={submit}>
          {settings.map((s) => {
            const id = `setting-${s.name}`;
            const common = {
              id,
              name: s.name,
              value: values[s.name] ?? "",
              onChange: (e: { target: { value: string } }) => setValues({ ...values, [s.name]: e.target.value }),
              "aria-invalid": missing.includes(s.name) || undefined,
            };
            const hint = s.generate != null ? "Leave empty and Berth makes a strong one." : s.default ? `Default: ${s.default}` : "";
            return (
              <div className="field" key={s.name}>
                <label htmlFor={id}>
                  {s.label}
                  {s.required && s.generate == null && !s.default ? " *" : ""}
                </label>
                {s.type === "select" ? (
                  <select {...common}>
                    <option value="">{s.default ? `Default (${s.default})` : "Choose…"}</option>
                    {(s.options ?? []).map((o) => <option key={o} value={o}>{o}</option>)}
                  </select>
                ) : s.type === "bool" ? (
                  <select {...common}>
                    <option value="">{s.default ? `Default (${s.default})` : "Choose…"}</option>
                    <option value="true">Yes</option>
                    <option value="false">No</option>
                  </select>
                ) : (
                  <input {...common} type={s.type === "password" ? "password" : s.type === "number" ? "number" : "text"} autoComplete="off" />
                )}
                {(s.description || hint) && <small>{[s.description, hint].filter(Boolean).join(" ")}</small>}
              </div>
            );
          })}
          <div className="field">
            <label htmlFor="install-name">Name</label>
            <input id="install-name" name="appName" value={shownName} onChange={(e) => setName(e.target.value)} aria-invalid={nameError ? true : undefined} autoComplete="off" spellCheck={false} />
            <small>{nameError ?? "Its address on your network: lowercase letters, digits and -."}</small>
          </div>
          <label className="check">
            <input type="checkbox" name="gate" checked={gate} onChange={(e) => setGate(e.target.checked)} /> Require Berth login
          </label>
          <small className="muted">{GATE_TEXT}</small>
          <label className="check">
            <input type="checkbox" name="hostPort" checked={hostPort} onChange={(e) => setHostPort(e.target.checked)} /> {HOST_PORT_LABEL}
          </label>
          <small className="muted">{HOST_PORT_TEXT}</small>
          {requests.length > 0 && <SharePicker requests={requests} shares={shares} choices={choices} onChange={setChoices} />}
          <fieldset>
            <legend>Limits</legend>
            <div className="row">
              <label>
                CPUs
                <input name="cpus" inputMode="decimal" placeholder={m.resources?.default?.cpus?.toString() ?? "no limit"} value={cpus} onChange={(e) => setCpus(e.target.value)} />
              </label>
              <label>
                Memory
                <input name="memory" placeholder={m.resources?.default?.memory ?? "no limit"} value={memory} onChange={(e) => setMemory(e.target.value)} />
              </label>
            </div>
          </fieldset>
          {permissions.length > 0 && (
            <fieldset>
              <legend>This app asks for</legend>
              <ul>{permissions.map((p) => <li key={p}>{permissionText(p)}</li>)}</ul>
              <label className="check">
                <input type="checkbox" checked={consent} onChange={(e) => setConsent(e.target.checked)} /> I allow this
              </label>
            </fieldset>
          )}
          {downloads && <p className="muted" data-testid="download-size">{downloads}</p>}
          {problems.length > 0 && (
            <ul role="alert" className="error">{problems.map((p) => <li key={p}>{p}</li>)}</ul>
          )}
          <div className="actions">
            <button type="button" onClick={onClose}>Cancel</button>
            <button type="submit" className="primary">Install</button>
          </div>
        </form>
      ) : (
        <div>
          <OperationProgress events={events} pulls={pulls} kind="install" />
          {finished && (
            <p role="status" className={finished.error ? "error" : "ok"}>
              {finished.error ? finished.error : `${m.name} is installed.`}
            </p>
          )}
          <div className="actions">
            {finished && !finished.error && <a className="button primary" href="#/apps" onClick={onClose}>Go to my apps</a>}
            <button type="button" onClick={onClose} disabled={!finished}>Close</button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
