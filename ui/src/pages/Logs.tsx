// An app's logs: the last lines, following new ones, filtered by a search.
import { useEffect, useState } from "react";
import { invoke } from "../api";
import type { Event } from "../bindings";
import { matches } from "../logic";

type LogEvent = Extract<Event, { type: "log" }>;

export function LogsPage({ app }: { app: string }) {
  const [lines, setLines] = useState<LogEvent[]>([]);
  const [follow, setFollow] = useState(true);
  const [search, setSearch] = useState("");
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    const load = () =>
      invoke("logs", { app, service: null, tail: 500, follow: false }).then(
        (l) => alive && (setLines(l), setError(null)),
        (e: Error) => alive && setError(e.message),
      );
    load();
    const timer = follow ? setInterval(load, 2000) : undefined;
    return () => {
      alive = false;
      if (timer) clearInterval(timer);
    };
  }, [app, follow]);

  const shown = lines.filter((l) => !search || matches(`${l.service} ${l.text}`, search));
  return (
    <section aria-labelledby="logs-title">
      <a href="#/apps">← My apps</a>
      <h1 id="logs-title">Logs of {app}</h1>
      <div className="toolbar">
        <input type="search" aria-label="Search the logs" placeholder="Search the logs" value={search} onChange={(e) => setSearch(e.target.value)} />
        <label className="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
      </div>
      {error && <p role="alert" className="error">{error}</p>}
      <pre className="logs" tabIndex={0} aria-label="Log lines">
        {shown.map((l, i) => (
          <div key={i} className={l.stream === "stderr" ? "stderr" : undefined}>
            <span className="muted">{l.service} | </span>
            {l.text}
          </div>
        ))}
        {shown.length === 0 && <span className="muted">No lines{search ? " match" : " yet"}.</span>}
      </pre>
    </section>
  );
}
