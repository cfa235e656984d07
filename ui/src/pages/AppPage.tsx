// One app of a store: what it is, what it asks of the server, and Install.
import { useEffect, useState } from "react";
import { invoke } from "../api";
import type { CatalogAppInfo, ResourceSpec } from "../bindings";
import { StorePicture } from "../components/StorePicture";
import { InstallDialog } from "../components/install/InstallDialog";
import { permissionText } from "../components/install/permissions";
import { accessText } from "../logic";

function spec(s: ResourceSpec | undefined): string {
  if (!s) return "—";
  const parts = [s.cpus != null && `${s.cpus} CPU`, s.memory && `${s.memory} memory`, s.disk && `${s.disk} disk`].filter(Boolean);
  return parts.length ? parts.join(", ") : "—";
}

export function AppPage({ store, id }: { store: string; id: string }) {
  const [info, setInfo] = useState<CatalogAppInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [installing, setInstalling] = useState(false);

  useEffect(() => {
    invoke("catalogShow", { app: id, store }).then(setInfo, (e: Error) => setError(e.message));
  }, [store, id]);

  if (error) return <p role="alert" className="error">{error}</p>;
  if (!info) return <p>Loading…</p>;
  const m = info.meta;
  const permissions = m.permissions ?? [];
  return (
    <article aria-labelledby="app-title" className="app-page">
      <a href="#/catalog">← App store</a>
      <header className="app-head">
        {m.icon && <StorePicture store={info.store} app={m.id} file={m.icon} alt="" width={72} height={72} />}
        <div>
          <h1 id="app-title">{m.name}</h1>
          <p>{m.tagline}</p>
          <p className="muted">
            Version {m.version} · {(m.categories ?? []).join(", ")} · from {info.store}
          </p>
        </div>
        <button className="primary" onClick={() => setInstalling(true)}>Install</button>
      </header>
      {(m.description ?? "").split(/\n\s*\n/).map((p, i) => <p key={i}>{p}</p>)}
      {(m.screenshots ?? []).length > 0 && (
        <div className="shots">
          {(m.screenshots ?? []).map((s) => (
            <StorePicture key={s} store={info.store} app={m.id} file={s} alt={`Screenshot of ${m.name}`} loading="lazy" />
          ))}
        </div>
      )}
      <h2>What it asks of your server</h2>
      {permissions.length === 0 ? (
        <p>Nothing beyond its own data folder and network.</p>
      ) : (
        <ul>{permissions.map((p) => <li key={p}>{permissionText(p)}</li>)}</ul>
      )}
      {(m.shares ?? []).length > 0 && (
        <>
          <h2>Folders it uses</h2>
          <p className="muted">You choose a share of your server for each when you install it (or none: an empty folder of its own).</p>
          <ul data-testid="share-requests">
            {(m.shares ?? []).map((r) => (
              <li key={r.name}>
                <strong>{r.name}</strong> (for example {r.share}): {r.why} It {accessText(r)}.
              </li>
            ))}
          </ul>
        </>
      )}
      <h2>Resources</h2>
      <p>Default limits: {spec(m.resources?.default)}. Needs at least: {spec(m.resources?.minimum)}.</p>
      {(m.settings ?? []).length > 0 && (
        <>
          <h2>Settings</h2>
          <ul>
            {(m.settings ?? []).map((s) => (
              <li key={s.name}>
                <strong>{s.label}</strong>
                {s.required ? " (required)" : ""}
                {s.generate != null ? " — made for you if left empty" : ""}
                {s.description ? ` — ${s.description}` : ""}
              </li>
            ))}
          </ul>
        </>
      )}
      {m.release_notes && (
        <>
          <h2>What's new</h2>
          <p>{m.release_notes}</p>
        </>
      )}
      {m.homepage && <p><a href={m.homepage} target="_blank" rel="noreferrer">Project homepage</a></p>}
      {installing && <InstallDialog info={info} onClose={() => setInstalling(false)} />}
    </article>
  );
}
