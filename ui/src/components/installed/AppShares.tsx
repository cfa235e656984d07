// The shares an installed app asks for and those it is given; changing
// them re-creates only its containers that mount them (a journaled
// operation, followed here to its end).
import { useEffect, useState } from "react";
import { invoke } from "../../api";
import type { AppShare, ShareInfo, ShareRequest } from "../../bindings";
import { useOperation } from "../../hooks/useOperation";
import { choicesToSend, givenText, initialChoices, sharesChanged, type ShareChoices } from "../../logic";
import { SharePicker } from "../shares/SharePicker";

export function AppShares({ app, requests, given, onChanged }: { app: string; requests: ShareRequest[]; given: AppShare[]; onChanged: () => void }) {
  const [shares, setShares] = useState<ShareInfo[] | null>(null);
  const [choices, setChoices] = useState<ShareChoices>({});
  const [error, setError] = useState<string | null>(null);
  const { operation, finished, start } = useOperation();

  useEffect(() => {
    if (finished) onChanged();
  }, [finished, onChanged]);

  if (requests.length === 0) return null;
  const edit = () => {
    setError(null);
    invoke("shares").then(
      (s) => {
        setShares(s);
        setChoices(initialChoices(requests, s, given));
      },
      (e: Error) => setError(e.message),
    );
  };
  const save = async () => {
    setError(null);
    try {
      await start(() => invoke("appShares", { app, shares: choicesToSend(choices) }));
      setShares(null);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const running = operation !== null && !finished;
  return (
    <section aria-labelledby="app-shares-title">
      <h2 id="app-shares-title">Shares</h2>
      <ul className="app-shares" data-testid="app-shares">
        {requests.map((r) => (
          <li key={r.name}>
            <strong>{r.name}</strong>: {givenText(r, given)}
          </li>
        ))}
      </ul>
      {shares === null ? (
        <button onClick={edit} disabled={running}>Change shares</button>
      ) : (
        <div>
          <SharePicker requests={requests} shares={shares} choices={choices} onChange={setChoices} />
          <div className="actions">
            <button onClick={() => setShares(null)}>Cancel</button>
            <button className="primary" onClick={save} disabled={!sharesChanged(choices, given)}>Save shares</button>
          </div>
        </div>
      )}
      {running && <p role="status">Changing its shares…</p>}
      {finished && (
        <p role="status" className={finished.error ? "error" : "ok"} data-testid="app-shares-result">
          {finished.error ?? "Its shares are changed."}
        </p>
      )}
      {error && <p role="alert" className="error">{error}</p>}
    </section>
  );
}
