// Shares: the server's named folders (Movies, Music…) for apps.
import type { ShareInfo } from "../bindings";

/** What a share's row says of its folder. */
export function shareState(s: ShareInfo): string {
  if (!s.present) return "Not there now (a drive that is not plugged in?)";
  return s.madeByBerth ? "Made by Berth" : "A folder of this server";
}

/** What is wrong with a new share's name and folder before it is sent; null when it can be sent. */
export function shareProblem(name: string, path: string): string | null {
  const n = name.trim();
  if (!n) return "Give the share a name, like Movies.";
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(n)) return "A share's name is letters, digits, ., - and _ (no spaces), starting with a letter or digit.";
  const p = path.trim();
  if (p && !p.startsWith("/")) return "The folder is a full path on the server, starting with /.";
  return null;
}

/** The sentence after a share is added. */
export function shareAdded(s: ShareInfo): string {
  return `${s.name} is added: ${s.path}.`;
}
