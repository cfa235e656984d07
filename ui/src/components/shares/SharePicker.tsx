// The shares an app asks for, each with why, what it does there, and a
// choice among the server's shares (or none: an empty folder of its own).
import type { ShareInfo, ShareRequest } from "../../bindings";
import { accessText, shareOption, type ShareChoices } from "../../logic";

export function SharePicker({
  requests,
  shares,
  choices,
  onChange,
}: {
  requests: ShareRequest[];
  shares: ShareInfo[];
  choices: ShareChoices;
  onChange: (c: ShareChoices) => void;
}) {
  return (
    <fieldset className="share-picker">
      <legend>Folders it uses</legend>
      {requests.map((r) => {
        const id = `share-${r.name}`;
        return (
          <div className="field" key={r.name}>
            <label htmlFor={id}>{r.name}</label>
            <select id={id} name={id} value={choices[r.name] ?? ""} onChange={(e) => onChange({ ...choices, [r.name]: e.target.value })}>
              <option value="">None (an empty folder of its own)</option>
              {shares.map((s) => {
                const o = shareOption(s);
                return (
                  <option key={s.name} value={s.name} disabled={o.disabled}>
                    {o.label}
                  </option>
                );
              })}
            </select>
            <small>
              {r.why} It {accessText(r)}. <a href="#/shares">Manage shares</a>
            </small>
          </div>
        );
      })}
    </fieldset>
  );
}
