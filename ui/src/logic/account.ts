// The Account page: a new password checked before it is sent (as the
// server checks it), and sessions in words (which browser, when).

/** A login session as the server lists it (times in ms). */
export type SessionInfo = {
  id: string;
  current: boolean;
  createdAt: number;
  lastUsed: number;
  expiresAt: number;
  address: string | null;
  userAgent: string | null;
};

/** Why the new password cannot be set, or null; the server's rules, and the two typings agree. */
export function passwordProblem(user: string, current: string, next: string, again: string): string | null {
  if (!current) return "Type your current password.";
  if ([...next].length < 10) return "Choose a password of at least 10 characters.";
  if (next.toLowerCase() === user.toLowerCase()) return "The password must not be the user name.";
  if (next === current) return "The new password is the current one; choose another.";
  if (next !== again) return "The two new passwords differ.";
  return null;
}

/** The browser and system a User-Agent names, as people say them: "Firefox on Android". */
export function browserOf(userAgent: string | null): string {
  if (!userAgent) return "Unknown browser";
  const ua = userAgent;
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /OPR\/|Opera/.test(ua)
      ? "Opera"
      : /Firefox\//.test(ua)
        ? "Firefox"
        : /Chrom(e|ium)\//.test(ua)
          ? "Chrome"
          : /Safari\//.test(ua)
            ? "Safari"
            : null;
  const system = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad|iPod/.test(ua)
      ? "iOS"
      : /Windows/.test(ua)
        ? "Windows"
        : /Mac OS X|Macintosh/.test(ua)
          ? "macOS"
          : /CrOS/.test(ua)
            ? "ChromeOS"
            : /Linux/.test(ua)
              ? "Linux"
              : null;
  if (!browser) return ua.length > 40 ? `${ua.slice(0, 40)}…` : ua;
  return system ? `${browser} on ${system}` : browser;
}

/** How long ago `at` was, from `now`: "just now", "5 minutes ago", "3 hours ago", "2 days ago". */
export function ago(at: number, now: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return "just now";
  const unit = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"} ago`;
  if (s < 3600) return unit(Math.floor(s / 60), "minute");
  if (s < 86400) return unit(Math.floor(s / 3600), "hour");
  return unit(Math.floor(s / 86400), "day");
}

/** What happened to the other sessions when the password changed. */
export function passwordChanged(ended: number): string {
  if (ended === 0) return "Your password is changed.";
  return `Your password is changed, and ${ended} other session${ended === 1 ? " was" : "s were"} logged out.`;
}
