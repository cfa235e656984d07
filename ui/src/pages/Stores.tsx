// Stores: where apps come from — the built-in store, signed remote stores,
// and CasaOS or Umbrel stores imported from their archive. Each can be
// refreshed (or all at once) and removed (its installed apps stay).
import { useCallback, useState } from "react";
import { inDesktop, invoke } from "../api";
import type { StoreInfo } from "../bindings";
import { AddRemoteStore } from "../components/stores/AddRemoteStore";
import { ImportStore } from "../components/stores/ImportStore";
import { RemoveStoreDialog } from "../components/stores/RemoveStoreDialog";
import { usePolling } from "../hooks/usePolling";
import { refreshSentences, storeApps, storeKind } from "../logic";

export function StoresPage() {
  const [stores, setStores] = useState<StoreInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [refreshing, setRefreshing] = useState<string | null>(null);
  const [result, setResult] = useState<{ ok: boolean; lines: string[] } | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);

  const load = useCallback(() => {
    invoke("catalogStores").then(
      (s) => (setStores(s), setError(null)),
      (e: Error) => setError(e.message),
    );
  }, []);
  usePolling(load, null, [load]);

  const refresh = async (name: string | null) => {
    setRefreshing(name ?? "");
    setResult(null);
    try {
      const outcomes = await invoke("catalogRefresh", { name });
      setResult({ ok: outcomes.every((o) => o.outcome !== "failed"), lines: refreshSentences(outcomes) });
    } catch (e) {
      setResult({ ok: false, lines: [(e as Error).message] });
    } finally {
      setRefreshing(null);
      load();
    }
  };
  const added = (s: StoreInfo) => {
    setResult({ ok: true, lines: [`${s.name} is added: ${storeApps(s)}.`] });
    load();
  };

  return (
    <section aria-labelledby="stores-title" className="stores">
      <h1 id="stores-title">Stores</h1>
      <div className="toolbar">
        <button onClick={() => void refresh(null)} disabled={refreshing !== null}>
          {refreshing === "" ? "Refreshing…" : "Refresh all"}
        </button>
      </div>
      {error && <p role="alert" className="error">{error}</p>}
      {result && (
        <div role={result.ok ? "status" : "alert"} className={result.ok ? "ok" : "error"} data-testid="stores-result">
          {result.lines.map((l) => (
            <p key={l}>{l}</p>
          ))}
        </div>
      )}
      {stores === null && !error && <p>Loading…</p>}
      {stores && (
        <table aria-label="Stores">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Apps</th>
              <th>From</th>
              <th>Refreshed</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {stores.map((s) => (
              <tr key={s.name} data-store={s.name}>
                <td><strong>{s.name}</strong></td>
                <td>{storeKind(s.kind)}</td>
                <td>
                  {storeApps(s)}
                  {s.error && <div className="error">{s.error}</div>}
                  {s.rejected.length > 0 && (
                    <details>
                      <summary className="muted">Why some were left out</summary>
                      <ul className="small">
                        {s.rejected.map(([app, why]) => (
                          <li key={app}><strong>{app}</strong>: {why}</li>
                        ))}
                      </ul>
                    </details>
                  )}
                </td>
                <td className="location"><code>{s.location}</code></td>
                <td>{s.refreshedAt ? new Date(s.refreshedAt).toLocaleString() : "—"}</td>
                <td>
                  {s.kind !== "embedded" && (
                    <div className="buttons">
                      <button onClick={() => void refresh(s.name)} disabled={refreshing !== null}>
                        {refreshing === s.name ? "Refreshing…" : "Refresh"}
                      </button>
                      <button className="danger" onClick={() => setRemoving(s.name)}>Remove</button>
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="facts add-stores">
        <AddRemoteStore onAdded={added} />
        <ImportStore onAdded={added} desktop={inDesktop()} />
      </div>
      {removing && (
        <RemoveStoreDialog
          name={removing}
          onClose={() => setRemoving(null)}
          onRemoved={() => {
            setResult({ ok: true, lines: [`${removing} is removed; apps installed from it stay installed.`] });
            setRemoving(null);
            load();
          }}
        />
      )}
    </section>
  );
}
