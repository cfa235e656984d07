// The server: what this machine is and has (CPU, load, memory, disks, the
// Docker engine, Berth), and what every installed app uses now. Refreshed
// every 10 seconds.
import { useState } from "react";
import { inDesktop, invoke } from "../api";
import type { AcmeStatus, AppStats, DiskInfo, SystemInfo } from "../bindings";
import { Bar } from "../components/Bar";
import { usePolling } from "../hooks/usePolling";
import { acmeLines, formatLoad, formatPercent, formatUptime, inOut, percentOf, usedFromFree, usedOf } from "../logic";

const REFRESH_MS = 10000;

const ROLES: Record<string, string> = {
  home: "Berth's data (apps, snapshots)",
  docker: "Docker (images, volumes)",
};

export function SystemPage() {
  const [info, setInfo] = useState<SystemInfo | null>(null);
  const [stats, setStats] = useState<AppStats[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [statsError, setStatsError] = useState<string | null>(null);

  usePolling(
    (alive) => {
      invoke("system").then(
        (s) => alive() && (setInfo(s), setError(null)),
        (e: Error) => alive() && setError(e.message),
      );
      invoke("stats", { app: null }).then(
        (s) => alive() && (setStats(s), setStatsError(null)),
        (e: Error) => alive() && setStatsError(e.message),
      );
    },
    REFRESH_MS,
    [],
  );

  return (
    <section aria-labelledby="system-title" className="system">
      <h1 id="system-title">Server</h1>
      {error && <p role="alert" className="error">{error}</p>}
      {!info && !error && <p>Loading…</p>}
      {info && <Host info={info} />}
      {info?.httpsProblem && (
        <p role="alert" className="error" data-testid="https-problem">
          HTTPS is off: {info.httpsProblem}
        </p>
      )}
      {info && <Https fingerprint={info.caFingerprint ?? null} trusted={info.caTrusted} acme={info.acme ?? null} />}

      <h2>What apps use</h2>
      {statsError && <p role="alert" className="error">{statsError}</p>}
      {stats?.length === 0 && <p>No apps are installed.</p>}
      {stats && stats.length > 0 && <AppsTable stats={stats} />}
    </section>
  );
}

function Host({ info }: { info: SystemInfo }) {
  const { cpu, load, memory, docker } = info;
  const memUsed = usedFromFree(memory.total, memory.available);
  const memPercent = percentOf(memUsed, memory.total);
  const swapUsed = usedFromFree(memory.swapTotal, memory.swapFree);
  const swapPercent = percentOf(swapUsed, memory.swapTotal);
  return (
    <div className="facts">
      <div className="card">
        <h2>{info.hostname}</h2>
        <dl>
          <dt>Processor</dt>
          <dd data-testid="cpu">
            {cpu.model || "Unknown"} × <span data-testid="cpu-cores">{cpu.cores}</span>
            <span className="muted"> ({cpu.cores === 1 ? "1 core" : `${cpu.cores} cores`})</span>
          </dd>
          <dt>Load</dt>
          <dd data-testid="load" title="Runnable tasks, averaged over 1, 5 and 15 minutes; above the number of cores means work waits.">
            {formatLoad(load)}
            <span className="muted"> (1 · 5 · 15 min)</span>
          </dd>
          <dt>Up for</dt>
          <dd data-testid="uptime">{formatUptime(info.uptimeSeconds)}</dd>
          <dt>Berth</dt>
          <dd data-testid="berth-version">{info.berthVersion}</dd>
        </dl>
      </div>

      <div className="card">
        <h2>Memory</h2>
        <p className="meter-line">
          <span>RAM</span>
          <span data-testid="memory">{usedOf(memUsed, memory.total)} used</span>
          <span className="muted">{formatPercent(memPercent)}</span>
        </p>
        <Bar percent={memPercent} label="Memory used" />
        <p className="meter-line">
          <span>Swap</span>
          {memory.swapTotal ? (
            <>
              <span data-testid="swap">{usedOf(swapUsed, memory.swapTotal)} used</span>
              <span className="muted">{formatPercent(swapPercent)}</span>
            </>
          ) : (
            <span className="muted" data-testid="swap">No swap</span>
          )}
        </p>
        {!!memory.swapTotal && <Bar percent={swapPercent} label="Swap used" />}
      </div>

      <div className="card">
        <h2>Disks</h2>
        {info.disks.length === 0 && <p className="muted">No disks reported.</p>}
        {info.disks.map((d) => (
          <Disk key={`${d.role}:${d.path}`} disk={d} />
        ))}
      </div>

      <div className="card">
        <h2>Docker</h2>
        <dl>
          <dt>Version</dt>
          <dd data-testid="docker-version">{docker.version}</dd>
          <dt>API</dt>
          <dd>
            {docker.apiVersion}
            {docker.clientApiVersion && docker.clientApiVersion !== docker.apiVersion && (
              <span className="muted"> (Berth speaks {docker.clientApiVersion})</span>
            )}
          </dd>
          <dt>Storage driver</dt>
          <dd data-testid="storage-driver">{docker.storageDriver}</dd>
          <dt>Root folder</dt>
          <dd><code>{docker.rootDir}</code></dd>
          <dt>System</dt>
          <dd>
            {docker.operatingSystem}
            <span className="muted"> · kernel {docker.kernelVersion}</span>
          </dd>
        </dl>
      </div>
    </div>
  );
}

/** The proxy's certificate authority: where to get it, and how each kind
 *  of device trusts it once so that https://<app>.<domain> opens without a
 *  warning. */
function Https({ fingerprint, trusted, acme }: { fingerprint: string | null; trusted: boolean; acme: AcmeStatus | null }) {
  const [said, setSaid] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const trust = async () => {
    setBusy(true);
    setError(null);
    try {
      const t = await invoke("caTrust");
      setSaid(`This server trusts it now (${t.path}): its browsers and tools open the apps' https:// names without a warning.`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="card" data-testid="https-card">
      <h2>HTTPS on this network</h2>
      {acme && <Acme status={acme} />}
      {!fingerprint ? (
        <p className="muted">
          HTTPS is not set up yet: Berth makes its certificate authority when <code>berth serve</code> first starts its
          HTTPS proxy (port 443).
        </p>
      ) : (
        <>
          <p>
            Apps open as <code>https://&lt;app&gt;.&lt;server&gt;.local</code> with certificates from this server's own
            certificate authority. Install it once on each device (phones, laptops) so browsers trust it. It can only
            vouch for this server's names, never for any other site.
          </p>
          {inDesktop() ? (
            <>
              {said ? (
                <p role="status" className="ok" data-testid="ca-trusted">{said}</p>
              ) : trusted ? (
                <p data-testid="ca-trusted">This server trusts it already.</p>
              ) : (
                <p>
                  <button onClick={() => void trust()} disabled={busy} data-testid="ca-trust">
                    {busy ? "Trusting…" : "Trust it on this server"}
                  </button>{" "}
                  (or run <code>sudo berth proxy trust</code>).
                </p>
              )}
              {error && <p role="alert" className="error">{error}</p>}
              <p>Other devices download it from Berth's web page, <code>/ca.crt</code>.</p>
            </>
          ) : (
            <p>
              <a href="/ca.crt" download data-testid="ca-download">
                Download the certificate
              </a>
            </p>
          )}
          <p className="muted">
            Fingerprint (SHA-256), to compare with what the device shows: <code data-testid="ca-fingerprint">{fingerprint}</code>
          </p>
          <details>
            <summary>How to install it</summary>
            <dl>
              <dt>Windows</dt>
              <dd>Double-click the file → Install Certificate → Local Machine → "Place all certificates in the following store" → Trusted Root Certification Authorities.</dd>
              <dt>macOS</dt>
              <dd>Double-click the file to open Keychain Access, add it to the System keychain, then open it → Trust → "When using this certificate": Always Trust.</dd>
              <dt>iPhone and iPad</dt>
              <dd>Download it in Safari and allow the profile; then Settings → Profile Downloaded → Install; then Settings → General → About → Certificate Trust Settings → turn it on.</dd>
              <dt>Android</dt>
              <dd>Settings → Security → Encryption &amp; credentials → Install a certificate → CA certificate, and pick the file.</dd>
              <dt>Linux</dt>
              <dd>
                Copy it to <code>/usr/local/share/ca-certificates/</code> and run <code>sudo update-ca-certificates</code> (on
                this server itself: <code>sudo berth proxy trust</code>).
              </dd>
              <dt>Firefox</dt>
              <dd>It keeps its own list: Settings → Privacy &amp; Security → Certificates → View Certificates → Authorities → Import, and tick "Trust this CA to identify websites".</dd>
            </dl>
          </details>
        </>
      )}
    </div>
  );
}

/** The certificate from an ACME CA (`berth serve --acme-email`): its
 *  names, issuer, expiry and renewal, and the last error. */
function Acme({ status }: { status: AcmeStatus }) {
  const { lines, error } = acmeLines(status);
  return (
    <div data-testid="acme-status">
      <h3>Certificate for your domain</h3>
      {lines.map((line) => (
        <p key={line}>{line}</p>
      ))}
      {error && (
        <p role="alert" className="error" data-testid="acme-error">
          {error}
        </p>
      )}
    </div>
  );
}

function Disk({ disk }: { disk: DiskInfo }) {
  const used = usedFromFree(disk.total, disk.free);
  const percent = percentOf(used, disk.total);
  return (
    <div className="disk" data-disk={disk.role}>
      <p className="meter-line">
        <span>{ROLES[disk.role] ?? disk.role}</span>
        <span>{disk.free != null ? `${usedOf(disk.free, disk.total)} free` : "—"}</span>
        <span className="muted">{formatPercent(percent)} used</span>
      </p>
      <Bar percent={percent} label={`${ROLES[disk.role] ?? disk.role}: disk used`} />
      <p className="muted small">
        <code>{disk.path}</code>
        {disk.mount && disk.mount !== disk.path && <> on <code>{disk.mount}</code></>}
      </p>
    </div>
  );
}

function AppsTable({ stats }: { stats: AppStats[] }) {
  return (
    <table aria-label="What apps use" className="usage">
      <thead>
        <tr>
          <th>App</th>
          <th>CPU</th>
          <th>Memory</th>
          <th>Network in / out</th>
          <th>Disk read / written</th>
          <th>Processes</th>
        </tr>
      </thead>
      <tbody>
        {stats.map((a) => {
          const u = a.total;
          const running = a.services.some((s) => s.running);
          const memPercent = percentOf(u.memoryUsed, u.memoryLimit);
          return (
            <tr key={a.app} data-app={a.app}>
              <td>
                <a href={`#/apps/${encodeURIComponent(a.app)}`}>{a.app}</a>
                {!running && <div className="muted">stopped</div>}
              </td>
              <td data-testid={`cpu-${a.app}`}>{running ? formatPercent(u.cpuPercent) : "—"}</td>
              <td className="mem">
                <span data-testid={`memory-${a.app}`}>{usedOf(u.memoryUsed, u.memoryLimit)}</span>
                <Bar percent={memPercent} label={`${a.app}: memory used`} />
              </td>
              <td>{inOut(u.netRx, u.netTx)}</td>
              <td>{inOut(u.blockRead, u.blockWrite)}</td>
              <td>{u.pids ?? "—"}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
