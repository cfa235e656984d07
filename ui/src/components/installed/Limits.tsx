// An app's limits: the CPUs, memory, memory + swap and processes every
// service runs under, changed live (no restart), and its disk: what its
// data folder uses, and a cap on it (a first cap, a lower one or removing
// it stops and starts the app while its data is copied; it asks first).
import { useEffect, useRef, useState, type FormEvent } from "react";
import { invoke } from "../../api";
import type { AppDisk, LimitsInfo } from "../../bindings";
import { usePolling } from "../../hooks/usePolling";
import { Bar } from "../Bar";
import { Dialog } from "../dialog/Dialog";
import {
  diskCapChange,
  diskCapProblem,
  diskCapRestarts,
  diskCapResult,
  diskText,
  formatBytes,
  limitsChange,
  limitsForm,
  limitsResult,
  limitsText,
  percentOf,
  type DiskCapChange,
  type HostBounds,
  type LimitsForm,
} from "../../logic";

const DISK_POLL_MS = 30000;

/** The daemon's note as a sentence: capitalized, with a full stop. */
const sentence = (text: string) => {
  const t = text.trim();
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? "" : "."}`;
};

export function Limits({ app, limits, onChanged }: { app: string; limits: LimitsInfo; onChanged: () => void }) {
  const [host, setHost] = useState<HostBounds & { disk: number | null }>({ cores: null, memory: null, disk: null });
  useEffect(() => {
    invoke("system").then(
      (s) => setHost({ cores: s.cpu.cores, memory: s.memory.total, disk: s.disks.find((d) => d.role === "home")?.total ?? null }),
      () => {}, // unknown bounds: the daemon checks
    );
  }, []);

  return (
    <section aria-labelledby="limits-title" className="limits">
      <h2 id="limits-title">Limits</h2>
      <LimitsPart app={app} limits={limits} host={host} onChanged={onChanged} />
      <DiskPart app={app} hostDisk={host.disk} onChanged={onChanged} />
    </section>
  );
}

function LimitsPart({ app, limits, host, onChanged }: { app: string; limits: LimitsInfo; host: HostBounds; onChanged: () => void }) {
  const [form, setForm] = useState<LimitsForm>(() => limitsForm(limits));
  const dirty = useRef(false);
  const [problems, setProblems] = useState<string[]>([]);
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const now = limitsText(limits);
  const key = JSON.stringify(limits);

  // The form follows the limits in force until the user edits it.
  useEffect(() => {
    if (!dirty.current) setForm(limitsForm(limits));
  }, [key]); // eslint-disable-line react-hooks/exhaustive-deps -- the limits by value, not by object

  const edit = (field: keyof LimitsForm) => (e: { target: { value: string } }) => {
    dirty.current = true;
    setForm((f) => ({ ...f, [field]: e.target.value }));
    setProblems([]);
  };

  const apply = async (e: FormEvent) => {
    e.preventDefault();
    setResult(null);
    setError(null);
    const { change, problems } = limitsChange(form, limits, host);
    setProblems(problems);
    if (problems.length > 0) return;
    setBusy(true);
    try {
      const changed = await invoke("limits", { app, ...change });
      dirty.current = false;
      setForm(limitsForm(changed.limits));
      setResult(limitsResult(changed));
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <p className="muted">Every service of {app} runs under these. A change applies at once, without a restart.</p>
      <dl className="limits-now">
        <dt>CPUs</dt>
        <dd data-testid="limit-cpus">{now.cpus}</dd>
        <dt>Memory</dt>
        <dd data-testid="limit-memory">{now.memory}</dd>
        <dt>Memory + swap</dt>
        <dd data-testid="limit-memory-swap">{now.memorySwap}</dd>
        <dt>Processes</dt>
        <dd data-testid="limit-pids">{now.pids}</dd>
      </dl>
      <form className="limits-form" onSubmit={apply} noValidate aria-label="Change limits">
        <div className="row">
          <label>
            CPUs
            <input
              name="cpus"
              type="number"
              min={0.1}
              max={host.cores ?? undefined}
              step={0.1}
              placeholder="unlimited"
              value={form.cpus}
              onChange={edit("cpus")}
            />
            <small className="muted">{host.cores != null ? `Up to ${host.cores} (this server's cores)` : "Like 0.5 or 2"}</small>
          </label>
          <label>
            Memory
            <input name="memory" placeholder="unlimited" value={form.memory} onChange={edit("memory")} />
            <small className="muted">Like 512m or 2g{host.memory != null ? `; 6 MB to ${formatBytes(host.memory)}` : ""}</small>
          </label>
          <label>
            Memory + swap
            <input name="memorySwap" placeholder={limits.memory != null ? "twice the memory" : "unlimited"} value={form.memorySwap} onChange={edit("memorySwap")} />
            <small className="muted">The memory's size for no swap, or “unlimited”</small>
          </label>
          <label>
            Processes
            <input name="pids" type="number" min={1} step={1} placeholder="unlimited" value={form.pids} onChange={edit("pids")} />
            <small className="muted">At least 1</small>
          </label>
        </div>
        <p className="muted small">An empty field keeps its limit as it is.</p>
        <div className="buttons">
          <button className="primary" type="submit" disabled={busy}>
            {busy ? "Applying…" : "Apply (no restart)"}
          </button>
        </div>
        {problems.length > 0 && (
          <div role="alert" className="error problems" data-testid="limits-problems">
            {problems.map((p) => (
              <p key={p}>{p}</p>
            ))}
          </div>
        )}
        {result && <p role="status" className="ok" data-testid="limits-result">{result}</p>}
        {error && <p role="alert" className="error" data-testid="limits-error">{error}</p>}
      </form>
    </>
  );
}

type Pending = { change: DiskCapChange; bytes: number | null };

function DiskPart({ app, hostDisk, onChanged }: { app: string; hostDisk: number | null; onChanged: () => void }) {
  const [disk, setDisk] = useState<AppDisk | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [size, setSize] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState<DiskCapChange | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  usePolling(
    (alive) =>
      invoke("disk", { app }).then(
        (d) => {
          if (!alive()) return;
          setDisk(d);
          setLoadError(null);
        },
        (e: Error) => alive() && setLoadError(e.message),
      ),
    DISK_POLL_MS,
    [app],
  );

  const cap = disk?.cap ?? null;

  const run = async ({ change, bytes }: Pending) => {
    setPending(null);
    setBusy(change);
    setResult(null);
    setError(null);
    try {
      const d = await invoke("diskCap", { app, bytes });
      setDisk(d);
      setResult(diskCapResult(change, d));
      setSize("");
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
    }
  };

  const capAt = (e: FormEvent) => {
    e.preventDefault();
    setResult(null);
    setError(null);
    const { bytes, problem } = diskCapProblem(size, disk?.used, hostDisk);
    setProblem(problem);
    if (problem || bytes === null) return;
    const change = diskCapChange(cap, bytes);
    if (change === "same") {
      setProblem(`The disk is already capped at ${formatBytes(bytes)}.`);
      return;
    }
    if (diskCapRestarts(change)) setPending({ change, bytes });
    else void run({ change, bytes });
  };

  return (
    <div className="disk-cap" data-testid="app-disk">
      <h3>Disk</h3>
      {loadError && <p role="alert" className="error">{loadError}</p>}
      {!disk && !loadError && <p className="muted">Counting what the app's data takes…</p>}
      {disk && (
        <>
          <div className="meter-line">
            <span>Data folder</span>
            <span data-testid="disk-usage">{diskText(disk)}</span>
          </div>
          {cap != null && <Bar percent={percentOf(disk.used, cap)} label={`${app}: disk used of its cap`} />}
          {disk.nearFull && (
            <p role="alert" className="error" data-testid="disk-near-full">
              The disk is nearly full: {app} may soon fail to write. Raise the cap or free some of its data.
            </p>
          )}
          {disk.uncapped && <p className="muted small" data-testid="disk-uncapped">{sentence(disk.uncapped)}</p>}
        </>
      )}
      <form className="toolbar disk-form" onSubmit={capAt} noValidate aria-label="Disk cap">
        <label className="inline">
          Cap disk at
          <input
            name="diskCap"
            placeholder={cap != null ? formatBytes(cap) : "like 10g"}
            value={size}
            onChange={(e) => {
              setSize(e.target.value);
              setProblem(null);
            }}
            disabled={!!busy}
          />
        </label>
        <button type="submit" disabled={!!busy || !disk}>
          {busy && busy !== "remove" ? "Capping…" : "Set cap"}
        </button>
        {cap != null && (
          <button type="button" className="danger" disabled={!!busy} onClick={() => setPending({ change: "remove", bytes: null })}>
            {busy === "remove" ? "Removing the cap…" : "Remove cap"}
          </button>
        )}
      </form>
      {busy && diskCapRestarts(busy) && <p className="muted">{app} is stopped while its data is copied; this can take a while.</p>}
      {problem && <p role="alert" className="error" data-testid="disk-problem">{problem}</p>}
      {result && <p role="status" className="ok" data-testid="disk-result">{result}</p>}
      {error && <p role="alert" className="error" data-testid="disk-error">{error}</p>}
      {pending && <DiskConfirm app={app} pending={pending} onCancel={() => setPending(null)} onConfirm={() => void run(pending)} />}
    </div>
  );
}

function DiskConfirm({ app, pending, onCancel, onConfirm }: { app: string; pending: Pending; onCancel: () => void; onConfirm: () => void }) {
  const size = pending.bytes != null ? formatBytes(pending.bytes) : "";
  const [title, text, button] =
    pending.change === "remove"
      ? [`Remove the disk cap of ${app}?`, `${app} stops while its data is copied back onto this server's disk, then starts again.`, "Remove cap and restart"]
      : pending.change === "lower"
        ? [`Lower the disk cap of ${app} to ${size}?`, `${app} stops while its data is copied onto a new, smaller disk, then starts again.`, "Lower cap and restart"]
        : [`Cap the disk of ${app} at ${size}?`, `${app} stops while its data is copied onto a disk of its own, then starts again. Once full, it cannot write more.`, "Cap and restart"];
  return (
    <Dialog title={title} onClose={onCancel}>
      <p>{text}</p>
      <div className="actions">
        <button onClick={onCancel}>Cancel</button>
        <button className={pending.change === "remove" ? "danger" : "primary"} onClick={onConfirm}>{button}</button>
      </div>
    </Dialog>
  );
}
