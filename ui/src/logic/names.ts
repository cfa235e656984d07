// Apps' names on the proxy (`<name>.<domain>`, `<name>-<server>.local`): the
// same rule the engine checks (it has the last word), for the install
// dialog's "Name" field and the installed app page's rename.

/** Names no app may take: Berth's own, and names systems look up by themselves. */
export const RESERVED_NAMES = ["berth", "www", "wpad", "isatap", "localhost"];

const RULE = "use 1 to 63 lowercase letters, digits and -, not starting or ending with -";

/** Why `name` cannot be an app's name, or null when it can. */
export function nameProblem(name: string): string | null {
  if (name === "") return `Give the app a name: ${RULE}.`;
  if (name.length > 63) return `The name is longer than 63 characters: ${RULE}.`;
  if (!/^[a-z0-9-]+$/.test(name)) return `The name can only ${RULE}.`;
  if (name.startsWith("-") || name.endsWith("-")) return `The name cannot start or end with -: ${RULE}.`;
  if (RESERVED_NAMES.includes(name)) return `"${name}" is kept for Berth and the network; choose another name.`;
  return null;
}

/** The name an app gets from its id unless one is chosen (as the engine makes it). */
export function nameFromId(id: string): string {
  let name = id
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  if (name === "") name = "app";
  else if (RESERVED_NAMES.includes(name)) name = `${name}-app`;
  return name;
}

/** The name to suggest for a new app of id `id`, not one of `taken`: `web`, else `web-2`… */
export function suggestedName(id: string, taken: string[]): string {
  const base = nameFromId(id);
  if (!taken.includes(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = `${base.slice(0, 63 - suffix.length).replace(/-+$/, "")}${suffix}`;
    if (!taken.includes(candidate)) return candidate;
  }
}

/** Why `name` cannot be given to an app now (invalid, or another app's), or null. */
export function nameChoiceProblem(name: string, takenBy: Record<string, string>, self?: string): string | null {
  const problem = nameProblem(name);
  if (problem) return problem;
  const owner = takenBy[name];
  if (owner !== undefined && owner !== self) return `The app ${owner} is named ${name} already; choose another name.`;
  return null;
}

/** The box that publishes an app's web page on a port of the server too. */
export const HOST_PORT_LABEL = "Also open it at a port number (http://server:PORT)";

/** The sentence beside it. */
export const HOST_PORT_TEXT =
  "Untick to open it only by its name, through Berth. Ports it needs for other things (DNS, MQTT, torrents) stay open either way.";

/** The sentence beside the login gate's switch. */
export const GATE_TEXT =
  "Only people logged in to Berth can open it. Leave off for apps with their own accounts and for phone apps that cannot log in through a page.";

/** What Berth's gate page (`/gate?app=<name>&to=<path>`) asks for: an app
 * name and a path, or null when the query is not a gate's. */
export function gateRequest(search: string): { app: string; to: string } | null {
  const query = new URLSearchParams(search);
  const app = query.get("app");
  if (app === null || nameProblem(app) !== null) return null;
  return { app, to: query.get("to") ?? "/" };
}

/** Whether a URL the server gave for the gate may be followed: only
 * scheme-relative to a host, at its `/.berth/gate` path. */
export function gateUrlFine(url: string): boolean {
  return /^\/\/[a-z0-9.-]+(:\d+)?\/\.berth\/gate\?/.test(url);
}
