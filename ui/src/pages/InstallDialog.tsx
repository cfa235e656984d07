// Install: the settings form from the app's schema, resource limits,
// explicit consent to what it asks, then live progress per image and a step log.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { invoke, listen } from "../api";
import type { CatalogAppInfo, Event } from "../bindings";
import { applyPull, describe, imagePercent, operationPercent, parseSize, settingsProblems, settingsToSend, type PullState } from "../logic";
import { permissionText } from "./AppPage";

export function InstallDialog({ info, onClose }: { info: CatalogAppInfo; onClose: () => void }) {
  const m = info.meta;
  const settings = m.settings ?? [];
  const permissions = m.permissions ?? [];
  const [values, setValues] = useState<Record<string, string>>({});
  const [cpus, setCpus] = useState("");
  const [memory, setMemory] = useState("");
  const [consent, setConsent] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const [operation, setOperation] = useState<number | null>(null);
  const [events, setEvents] = useState<Event[]>([]);
  const [pulls, setPulls] = useState<PullState>({});
  const buffered = useRef<Event[]>([]);
  const opRef = useRef<number | null>(null);
  const dialog = useRef<HTMLDivElement>(null);

  useEffect(() => {
    dialog.current?.querySelector<HTMLElement>("input, select, button")?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && opRef.current === null && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);

  // Listen before installing, so no early event is missed; keep ours only.
  useEffect(() => {
    return listen((e) => {
      if (opRef.current === null) {
        buffered.current.push(e);
        return;
      }
      if (e.operation !== opRef.current) return;
      setEvents((es) => [...es, e]);
      setPulls((p) => applyPull(p, e));
    });
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const found = settingsProblems(settings, values);
    const mem = memory.trim() ? parseSize(memory) : null;
    if (memory.trim() && mem === null) found.push("Memory must be a size like 512m or 2g.");
    if (cpus.trim() && !(Number(cpus) > 0)) found.push("CPUs must be a number above 0.");
    if (permissions.length > 0 && !consent) found.push("Tick the box to allow what this app asks of your server.");
    setProblems(found);
    if (found.length) return;
    try {
      const r = await invoke("install", {
        catalogApp: m.id,
        store: info.store,
        appId: null,
        settings: settingsToSend(values),
        cpus: cpus.trim() ? Number(cpus) : null,
        memory: mem,
        pids: null,
        consent,
      });
      opRef.current = r.operation;
      setOperation(r.operation);
      const mine = buffered.current.filter((b) => b.operation === r.operation);
      setEvents(mine);
      setPulls(mine.reduce(applyPull, {} as PullState));
    } catch (err) {
      setProblems([(err as Error).message]);
    }
  }

  const finished = events.find((e): e is Extract<Event, { type: "finished" }> => e.type === "finished");
  const percent = operationPercent(events);
  const log = events.map(describe).filter((l): l is string => l !== null);

  return (
    <div className="backdrop">
      <div className="card dialog" role="dialog" aria-modal="true" aria-labelledby="install-title" ref={dialog}>
        <h2 id="install-title">Install {m.name}</h2>
        {operation === null ? (
          <form onSubmit={submit}>
            {settings.map((s) => {
              const id = `setting-${s.name}`;
              const common = {
                id,
                name: s.name,
                value: values[s.name] ?? "",
                onChange: (e: { target: { value: string } }) => setValues({ ...values, [s.name]: e.target.value }),
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
            <label htmlFor="overall">Progress</label>
            <progress id="overall" max={100} value={percent} aria-valuetext={`${percent}%`} />
            <span className="percent" data-testid="install-percent">{percent}%</span>
            {Object.entries(pulls).map(([image, layers]) => (
              <div key={image} className="pull">
                <small>{image}</small>
                <progress max={100} value={imagePercent(layers)} aria-label={`Download of ${image}`} />
              </div>
            ))}
            <ol className="steplog" aria-live="polite">{log.map((l, i) => <li key={i}>{l}</li>)}</ol>
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
      </div>
    </div>
  );
}
