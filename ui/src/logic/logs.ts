// Log lines: search highlighting, their times, the downloaded log.

/** A log line cut where it contains `query` (in any case), for highlighting the matches. */
export function highlightParts(text: string, query: string): { text: string; match: boolean }[] {
  if (!query) return text ? [{ text, match: false }] : [];
  const hay = text.toLowerCase();
  const needle = query.toLowerCase();
  const parts: { text: string; match: boolean }[] = [];
  let from = 0;
  for (;;) {
    const at = hay.indexOf(needle, from);
    if (at < 0 || needle.length === 0) break;
    if (at > from) parts.push({ text: text.slice(from, at), match: false });
    parts.push({ text: text.slice(at, at + needle.length), match: true });
    from = at + needle.length;
  }
  if (from < text.length) parts.push({ text: text.slice(from), match: false });
  return parts;
}

/** The time of a log line (RFC 3339 to the nanosecond, as the engine stamps it) in ms; null if it is not one. */
export function logTime(time: string): number | null {
  // Date.parse is only sure of milliseconds: cut finer fractions.
  const ms = Date.parse(time.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(ms) ? null : ms;
}

/** Log lines as a downloaded log has them: `TIME SERVICE STREAM TEXT`, one a line. */
export function logsText(entries: { time: string; service: string; stream: string; text: string }[]): string {
  return entries.map((e) => `${e.time} ${e.service} ${e.stream} ${e.text}\n`).join("");
}
