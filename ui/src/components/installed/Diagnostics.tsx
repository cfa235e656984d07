// The diagnostics bundle of an app, for a bug report: in a browser a
// download made fresh by the server; in the desktop app a file Berth writes
// under its home, whose path is shown.
import { useState } from "react";
import { download, inDesktop, invoke } from "../../api";
import type { DiagnoseReport } from "../../bindings";
import { formatBytes } from "../../logic";

export function Diagnostics({ app }: { app: string }) {
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<DiagnoseReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const desktop = inDesktop();
  const path = `/api/download/diagnostics/${encodeURIComponent(app)}`;

  const save = () => {
    setBusy(true);
    setError(null);
    invoke("diagnose", { app, out: null })
      .then(setReport, (e: Error) => setError(e.message))
      .finally(() => setBusy(false));
  };

  return (
    <section aria-labelledby="diagnostics-title" className="diagnostics">
      <h2 id="diagnostics-title">Diagnostics</h2>
      <p className="muted">
        One <code>.tar.gz</code> to attach to a bug report: the app's compose file and settings, the state and recent logs of
        each service, its recent operations and facts about this server. Passwords, tokens and other secrets are redacted.
      </p>
      <div className="buttons">
        {desktop ? (
          <button onClick={save} disabled={busy}>{busy ? "Saving diagnostics…" : "Save diagnostics"}</button>
        ) : (
          <a
            className="button"
            href={path}
            onClick={(e) => {
              e.preventDefault();
              setError(null);
              download(path).catch((err: Error) => setError(err.message));
            }}
          >
            Download diagnostics
          </a>
        )}
      </div>
      {error && <p role="alert" className="error">{error}</p>}
      {report && (
        <div data-testid="diagnose-report">
          <p className="ok">
            Saved to <code>{report.path}</code>
            {report.bytes != null && ` (${formatBytes(report.bytes)})`}
          </p>
          <details>
            <summary>{report.files.length} files in it</summary>
            <ul className="files">
              {report.files.map((f) => (
                <li key={f}><code>{f}</code></li>
              ))}
            </ul>
          </details>
        </div>
      )}
    </section>
  );
}
