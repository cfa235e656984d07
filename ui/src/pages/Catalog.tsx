// The app store: every app of every store as a grid, by category,
// searchable; and installing your own compose file.
import { useEffect, useMemo, useState } from "react";
import { invoke } from "../api";
import { StorePicture } from "../components/StorePicture";
import { ComposeDialog } from "../components/install/ComposeDialog";
import type { AppSummary } from "../bindings";

export function CatalogPage() {
  const [apps, setApps] = useState<AppSummary[] | null>(null);
  const [found, setFound] = useState<AppSummary[] | null>(null);
  const [query, setQuery] = useState("");
  const [category, setCategory] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [own, setOwn] = useState(false);

  useEffect(() => {
    invoke("catalogApps", { category: null }).then(setApps, (e: Error) => setError(e.message));
  }, []);
  useEffect(() => {
    if (!query.trim()) {
      setFound(null);
      return;
    }
    const t = setTimeout(() => {
      invoke("catalogSearch", { query }).then(setFound, (e: Error) => setError(e.message));
    }, 150);
    return () => clearTimeout(t);
  }, [query]);

  const categories = useMemo(() => [...new Set((apps ?? []).flatMap((a) => a.categories))].sort(), [apps]);
  const shown = (found ?? apps ?? []).filter((a) => !category || a.categories.includes(category));

  return (
    <section aria-labelledby="store-title">
      <h1 id="store-title">App store</h1>
      <div className="toolbar">
        <input
          type="search"
          aria-label="Search apps"
          placeholder="Search apps"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        <button onClick={() => setOwn(true)}>Install your own…</button>
      </div>
      <div className="chips" role="group" aria-label="Categories">
        <button aria-pressed={category === null} onClick={() => setCategory(null)}>All</button>
        {categories.map((c) => (
          <button key={c} aria-pressed={category === c} onClick={() => setCategory(c)}>{c}</button>
        ))}
      </div>
      {error && <p role="alert" className="error">{error}</p>}
      {apps === null && !error && <p>Loading apps…</p>}
      {apps !== null && shown.length === 0 && <p>No app matches.</p>}
      <ul className="grid">
        {shown.map((a) => (
          <li key={`${a.store}/${a.id}`}>
            <a className="card app-card" href={`#/app/${encodeURIComponent(a.store)}/${encodeURIComponent(a.id)}`}>
              {a.icon ? <StorePicture store={a.store} app={a.id} file={a.icon} alt="" width={48} height={48} /> : <span className="icon-blank" aria-hidden="true" />}
              <span>
                <strong>{a.name}</strong>
                <small>{a.tagline}</small>
                {a.store !== "berth" && <small className="muted">from {a.store}</small>}
              </span>
            </a>
          </li>
        ))}
      </ul>
      {own && <ComposeDialog target={{ kind: "install" }} onClose={() => setOwn(false)} />}
    </section>
  );
}
