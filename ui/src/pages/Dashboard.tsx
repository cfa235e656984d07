// Home, the page after login — what a family member sees: every installed
// app as a tile (its icon, whether it runs, one click to open it, an update
// waiting) and the server's health at a glance. Managing apps is on My apps.
import { useState } from "react";
import { invoke } from "../api";
import type { AppInfo, AppSummary, SystemInfo } from "../bindings";
import { AppTile } from "../components/home/AppTile";
import { Health } from "../components/home/Health";
import { usePolling } from "../hooks/usePolling";
import { tilesOf } from "../logic";
import { useUpdates } from "../updates";

const APPS_MS = 5000;
const HEALTH_MS = 10000;

export function Dashboard() {
  const [apps, setApps] = useState<AppInfo[] | null>(null);
  const [catalog, setCatalog] = useState<AppSummary[]>([]);
  const [system, setSystem] = useState<SystemInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [healthError, setHealthError] = useState<string | null>(null);
  const updates = useUpdates();

  usePolling(
    (alive) =>
      void invoke("apps").then(
        (a) => alive() && (setApps(a), setError(null)),
        (e: Error) => alive() && setError(e.message),
      ),
    APPS_MS,
    [],
  );
  // Names and icons come from the stores; without them the tiles show ids.
  usePolling((alive) => void invoke("catalogApps", { category: null }).then((c) => alive() && setCatalog(c), () => {}), null, []);
  usePolling(
    (alive) =>
      void invoke("system").then(
        (s) => alive() && (setSystem(s), setHealthError(null)),
        (e: Error) => alive() && setHealthError(e.message),
      ),
    HEALTH_MS,
    [],
  );

  const tiles = apps ? tilesOf(apps, catalog, window.location.hostname) : [];
  return (
    <section aria-labelledby="home-title" className="home">
      <h1 id="home-title">Home</h1>
      {error && <p role="alert" className="error">{error}</p>}
      {apps === null && !error && <p>Loading…</p>}
      {apps?.length === 0 && (
        <p>
          No apps yet. <a href="#/catalog">Find one in the app store.</a>
        </p>
      )}
      {updates.count > 0 && (
        <p data-testid="home-updates">
          <a href="#/apps">
            {updates.count === 1 ? "1 app has an update." : `${updates.count} apps have an update.`}
          </a>
        </p>
      )}
      <ul className="tiles" aria-label="Your apps">
        {tiles.map((t) => (
          <AppTile key={t.id} tile={t} update={updates.of(t.id)} />
        ))}
      </ul>
      <h2>Server</h2>
      {healthError && <p role="alert" className="error">{healthError}</p>}
      {!system && !healthError && <p>Loading…</p>}
      {system && <Health info={system} />}
    </section>
  );
}
