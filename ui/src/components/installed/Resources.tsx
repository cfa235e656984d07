// What an installed app uses: charts of its CPU and memory over the last
// minutes (the daemon's samples, plus what it uses now, polled every 5
// seconds), and each service's use now.
import { lazy, Suspense, useMemo, useState } from "react";
import { invoke } from "../../api";
import type { AppStats, Sample } from "../../bindings";
import { Bar } from "../Bar";
import type { ChartSeries } from "../Chart";
import { usePolling } from "../../hooks/usePolling";
import { chartData, formatBytes, formatPercent, inOut, percentOf, usedOf } from "../../logic";

// uPlot is loaded with the first chart, not with every page.
const Chart = lazy(() => import("../Chart"));

const POLL_MS = 5000;
const CPU_SERIES: ChartSeries[] = [{ label: "CPU", color: "#2459d6", fill: "rgba(36, 89, 214, 0.12)" }];
const MEMORY_SERIES: ChartSeries[] = [
  { label: "Used", color: "#1e7d43", fill: "rgba(30, 125, 67, 0.12)" },
  { label: "Limit", color: "#c0392b", dash: [6, 4] },
];

export function Resources({ app }: { app: string }) {
  const [history, setHistory] = useState<Sample[]>([]);
  const [now, setNow] = useState<AppStats | null>(null);
  const [error, setError] = useState<string | null>(null);

  usePolling(
    (alive) =>
      Promise.all([invoke("statsHistory", { app }), invoke("stats", { app })]).then(
        ([h, s]) => {
          if (!alive()) return;
          setHistory(h);
          setNow(s[0] ?? null);
          setError(null);
        },
        (e: Error) => alive() && setError(e.message),
      ),
    POLL_MS,
    [app],
  );

  const [times, cpu, used, limit] = useMemo(() => chartData(history, now), [history, now]);
  const cpuData = useMemo(() => [times, cpu], [times, cpu]);
  const memoryData = useMemo(() => [times, used, limit], [times, used, limit]);
  const total = now?.total;
  const running = now?.services.some((s) => s.running) ?? false;

  return (
    <section aria-labelledby="resources-title" className="resources">
      <h2 id="resources-title">Resources</h2>
      {error && <p role="alert" className="error">{error}</p>}
      <p className="figures">
        <span>
          CPU <strong data-testid="app-cpu">{running ? formatPercent(total?.cpuPercent) : "—"}</strong>
        </span>
        <span>
          Memory <strong data-testid="app-memory">{total?.memoryUsed != null ? formatBytes(total.memoryUsed) : "—"}</strong>
          {total?.memoryLimit != null && <span className="muted"> of {formatBytes(total.memoryLimit)}</span>}
        </span>
        <span>
          Processes <strong>{total?.pids ?? "—"}</strong>
        </span>
      </p>
      <div className="charts">
        <Suspense fallback={<div className="chart-placeholder">Loading the chart…</div>}>
          <figure data-testid="chart-cpu">
            <figcaption>CPU (100 % = one core)</figcaption>
            <Chart label={`CPU use of ${app} over time`} unit="%" series={CPU_SERIES} data={cpuData} minTop={10} />
          </figure>
          <figure data-testid="chart-memory">
            <figcaption>Memory (MiB)</figcaption>
            <Chart label={`Memory use of ${app} over time`} unit="MiB" series={MEMORY_SERIES} data={memoryData} />
          </figure>
        </Suspense>
      </div>
      {times.length < 2 && <p className="muted">The charts fill in as Berth samples what the app uses.</p>}

      {now && now.services.length > 0 && (
        <table aria-label="Use per service" className="usage">
          <thead>
            <tr>
              <th>Service</th>
              <th>CPU</th>
              <th>Memory</th>
              <th>Network in / out</th>
              <th>Disk read / written</th>
              <th>Processes</th>
            </tr>
          </thead>
          <tbody>
            {now.services.map((s) => (
              <tr key={s.service} data-service={s.service}>
                <td>
                  {s.service}
                  {!s.running && <div className="muted">not running</div>}
                </td>
                <td>{s.running ? formatPercent(s.usage.cpuPercent) : "—"}</td>
                <td className="mem">
                  {usedOf(s.usage.memoryUsed, s.usage.memoryLimit)}
                  <Bar percent={percentOf(s.usage.memoryUsed, s.usage.memoryLimit)} label={`${s.service}: memory used`} />
                </td>
                <td>{inOut(s.usage.netRx, s.usage.netTx)}</td>
                <td>{inOut(s.usage.blockRead, s.usage.blockWrite)}</td>
                <td>{s.usage.pids ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
