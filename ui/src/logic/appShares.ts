// The shares an app asks for (app.yml) and the server's shares given to
// them: what the install dialog and an installed app's page offer.
import type { AppShare, ShareInfo, ShareRequest } from "../bindings";

/** A request → share choice; "" is none (the app's own empty folder). */
export type ShareChoices = Record<string, string>;

/**
 * What the picker starts with: for an installed app, the shares it has;
 * for a new one, each request's suggested share when the server has it
 * and its drive is there; otherwise none.
 */
export function initialChoices(requests: ShareRequest[], shares: ShareInfo[], given: AppShare[] = []): ShareChoices {
  const out: ShareChoices = {};
  for (const r of requests) {
    const had = given.find((g) => g.request === r.name);
    if (had) {
      out[r.name] = had.share;
      continue;
    }
    const suggested = shares.find((s) => s.name.toLowerCase() === r.share.toLowerCase() && s.present);
    out[r.name] = given.length === 0 && suggested ? suggested.name : "";
  }
  return out;
}

/** The choices as the server takes them: requests given none are left out. */
export function choicesToSend(choices: ShareChoices): Record<string, string> {
  return Object.fromEntries(Object.entries(choices).filter(([, share]) => share !== ""));
}

/** What the app may do in a share, in words. */
export function accessText(r: ShareRequest): string {
  return r.access === "write" ? "reads and writes" : "only reads (mounted read-only)";
}

/** A share's option in a picker, saying when its drive is away. */
export function shareOption(s: ShareInfo): { label: string; disabled: boolean } {
  return s.present ? { label: s.name, disabled: false } : { label: `${s.name} (drive not present)`, disabled: true };
}

/** Whether `choices` differ from what the app has now. */
export function sharesChanged(choices: ShareChoices, given: AppShare[]): boolean {
  const now = Object.fromEntries(given.map((g) => [g.request, g.share]));
  const keys = new Set([...Object.keys(choices), ...Object.keys(now)]);
  return [...keys].some((k) => (choices[k] ?? "") !== (now[k] ?? ""));
}

/** The line an installed app shows for a request. */
export function givenText(r: ShareRequest, given: AppShare[]): string {
  const g = given.find((x) => x.request === r.name);
  return g ? `${g.share} (${g.path}) at ${g.target}${g.readOnly ? ", read-only" : ""}` : `none: a folder of its own at ${r.target}`;
}
