// An app's logs: a search through them (done by the daemon, over the last
// lines of every service, matches highlighted), the last lines following new
// ones, and the whole log as a download.
import { useEffect, useRef, useState } from "react";
import { download, inDesktop, invoke } from "../api";
import type { Event_Serialize, LogEntry } from "../bindings";
import { usePolling } from "../hooks/usePolling";
import { highlightParts, logsText, logTime } from "../logic";

type LogEvent = Extract<Event_Serialize, { type: "log" }>;

/** Lines of each service the search looks through. */
const SEARCH_TAIL = 10000;
/** Matches shown at most (the newest). */
const SHOWN_MATCHES = 500;

export function LogsPage({ app }: { app: string }) {
  const [lines, setLines] = useState<LogEvent[]>([]);
  const [follow, setFollow] = useState(true);
  const [error, setError] = useState<string | null>(null);

  // Read once, then every 2 seconds while following.
  usePolling(
    (alive) =>
      invoke("logs", { app, service: null, tail: 500 }).then(
        (l) => alive() && (setLines(l.filter((e): e is LogEvent => e.type === "log")), setError(null)),
        (e: Error) => alive() && setError(e.message),
      ),
    follow ? 2000 : null,
    [app],
  );

  return (
    <section aria-labelledby="logs-title" className="logs-page">
      <a href="#/apps">← My apps</a>
      <h1 id="logs-title">Logs of {app}</h1>
      <LogSearch app={app} />

      <div className="toolbar">
        <h2 className="grow">Latest lines</h2>
        <label className="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
        <DownloadLogs app={app} />
      </div>
      {error && <p role="alert" className="error">{error}</p>}
      <pre className="logs" tabIndex={0} aria-label="Log lines">
        {lines.map((l, i) => (
          <div key={i} className={l.stream === "stderr" ? "stderr" : undefined}>
            <span className="muted">{l.service} | </span>
            {l.text}
          </div>
        ))}
        {lines.length === 0 && <span className="muted">No lines yet.</span>}
      </pre>
    </section>
  );
}

type Found = { query: string; entries: LogEntry[] };

function LogSearch({ app }: { app: string }) {
  const [query, setQuery] = useState("");
  const [found, setFound] = useState<Found | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const asked = useRef(0);

  const search = (q: string) => {
    const n = ++asked.current;
    if (!q.trim()) {
      setFound(null);
      setBusy(false);
      setError(null);
      return;
    }
    setBusy(true);
    invoke("logSearch", { app, service: null, query: q, tail: SEARCH_TAIL }).then(
      (entries) => {
        if (n !== asked.current) return; // an older search answering late
        setFound({ query: q, entries });
        setError(null);
        setBusy(false);
      },
      (e: Error) => {
        if (n !== asked.current) return;
        setError(e.message);
        setBusy(false);
      },
    );
  };

  // Searches as the user types, once they pause.
  useEffect(() => {
    const timer = setTimeout(() => search(query), 350);
    return () => clearTimeout(timer);
  }, [query, app]);

  const shown = found ? found.entries.slice(-SHOWN_MATCHES) : [];
  return (
    <div className="log-search">
      <form
        className="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          search(query);
        }}
      >
        <input type="search" aria-label="Search the logs" placeholder="Search the logs (any case)" value={query} onChange={(e) => setQuery(e.target.value)} />
        <button type="submit" disabled={!query.trim()}>Search</button>
      </form>
      {error && <p role="alert" className="error">{error}</p>}
      {busy && !found && <p className="muted">Searching…</p>}
      {found && (
        <div className="matches" aria-live="polite">
          <p data-testid="search-summary">
            {found.entries.length === 0
              ? `No lines match “${found.query}”.`
              : `${found.entries.length === 1 ? "1 line matches" : `${found.entries.length} lines match`} “${found.query}”${
                  found.entries.length > shown.length ? `; the last ${shown.length} are shown` : ""
                }.`}
            <span className="muted"> Searched the last {SEARCH_TAIL.toLocaleString()} lines of each service.</span>
          </p>
          {shown.length > 0 && (
            <table aria-label="Matching lines" className="log-matches">
              <thead>
                <tr><th>Time</th><th>Service</th><th>Stream</th><th>Line</th></tr>
              </thead>
              <tbody>
                {shown.map((e, i) => {
                  const ms = logTime(e.time);
                  return (
                    <tr key={i} className={e.stream === "stderr" ? "stderr" : undefined}>
                      <td title={e.time}>{ms == null ? e.time : new Date(ms).toLocaleString()}</td>
                      <td>{e.service}</td>
                      <td>{e.stream}</td>
                      <td className="line">
                        {highlightParts(e.text, found.query).map((p, j) => (p.match ? <mark key={j}>{p.text}</mark> : <span key={j}>{p.text}</span>))}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </div>
      )}
    </div>
  );
}

/** Every line of the app's logs, stamped, as a file. */
function DownloadLogs({ app }: { app: string }) {
  const [error, setError] = useState<string | null>(null);
  const path = `/api/download/logs/${encodeURIComponent(app)}`;
  if (!inDesktop()) {
    return (
      <>
        <a
          className="button"
          href={path}
          onClick={(e) => {
            e.preventDefault();
            download(path).then(() => setError(null), (err: Error) => setError(err.message));
          }}
        >
          Download logs
        </a>
        {error && <span role="alert" className="error">{error}</span>}
      </>
    );
  }
  // The desktop app has no session route to download from: it asks for every line and saves them itself.
  const save = () =>
    invoke("logSearch", { app, service: null, query: "", tail: null }).then(
      (entries) => {
        const url = URL.createObjectURL(new Blob([logsText(entries)], { type: "text/plain" }));
        const a = document.createElement("a");
        a.href = url;
        a.download = `${app}.log`;
        a.click();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
        setError(null);
      },
      (e: Error) => setError(e.message),
    );
  return (
    <>
      <button onClick={save}>Download logs</button>
      {error && <span role="alert" className="error">{error}</span>}
    </>
  );
}
