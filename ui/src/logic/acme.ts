// The certificate from an ACME CA (Let's Encrypt…) as the Server page's
// HTTPS card tells it: for which names, from whom, until when, and what
// went wrong last, in plain words.
import type { AcmeStatus } from "../bindings";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY_MS = 86_400_000;

/** An RFC 3339 time as a date in UTC: "3 Mar 2027". */
export function acmeDate(rfc3339: string): string {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** "in 3 days", "in 5 hours", "3 days ago"… from `now`. */
function fromNow(rfc3339: string, now: number): string {
  const ms = new Date(rfc3339).getTime() - now;
  if (Number.isNaN(ms)) return "";
  const abs = Math.abs(ms);
  const amount =
    abs >= DAY_MS
      ? `${Math.round(abs / DAY_MS)} day${Math.round(abs / DAY_MS) === 1 ? "" : "s"}`
      : abs >= 3_600_000
        ? `${Math.round(abs / 3_600_000)} hour${Math.round(abs / 3_600_000) === 1 ? "" : "s"}`
        : `${Math.max(1, Math.round(abs / 60_000))} minute${Math.max(1, Math.round(abs / 60_000)) === 1 ? "" : "s"}`;
  return ms >= 0 ? `in ${amount}` : `${amount} ago`;
}

/** Who issues it: "Let's Encrypt" (or its staging), else the directory's host. */
export function acmeIssuer(directory: string): string {
  let host = directory;
  try {
    host = new URL(directory).host;
  } catch {
    return directory;
  }
  if (host === "acme-v02.api.letsencrypt.org") return "Let's Encrypt";
  if (host === "acme-staging-v02.api.letsencrypt.org") return "Let's Encrypt (staging: browsers do not trust it)";
  return host;
}

/** The card's lines: what the certificate covers, where it stands, and
 *  the last error; `bad` when it is not being served or its renewal fails. */
export function acmeLines(s: AcmeStatus, now: number = Date.now()): { lines: string[]; error: string | null; bad: boolean } {
  const names = s.names.length > 0 ? s.names.join(" and ") : "this server's domain";
  const lines = [`A certificate for ${names} from ${acmeIssuer(s.directory)}.`];
  if (s.issued) {
    const expires = s.expires ? ` It is valid until ${acmeDate(s.expires)} (${fromNow(s.expires, now)})` : " It is in use";
    const renews = s.renews
      ? new Date(s.renews).getTime() <= now
        ? "; Berth is renewing it now."
        : `; Berth renews it from ${acmeDate(s.renews)} by itself.`
      : ".";
    lines.push(`Issued and in use.${expires}${renews}`);
  } else if (s.working) {
    lines.push("Not issued yet: Berth is asking for it now. Meanwhile the apps use this server's own certificates.");
  } else {
    lines.push("Not issued yet. Meanwhile the apps use this server's own certificates.");
  }
  const lastError = s.lastError ?? null;
  let error: string | null = null;
  if (lastError) {
    const when = s.lastAttempt ? ` (${acmeDate(s.lastAttempt)}, ${fromNow(s.lastAttempt, now)})` : "";
    const next = s.working
      ? " Berth is trying again now."
      : s.nextAttempt
        ? ` Berth tries again ${fromNow(s.nextAttempt, now)} by itself.`
        : "";
    error = `The last attempt failed${when}: ${lastError.replace(/\.$/, "")}.${next}`;
  }
  return { lines, error, bad: !s.issued || error !== null };
}
