// The transport under the UI. In the desktop app (Tauri) a command is a Tauri
// IPC call to the tauri-specta command of the same name (snake_case) and
// progress comes as `berth-event` Tauri events; in a browser it is
// POST /api/<command> with the same JSON argument object and progress comes
// from the server-sent event stream. Errors are sentences either way.
//
// In a browser a session is a cookie plus a key this page keeps (in its
// origin's localStorage) and sends in a header: the cookie also reaches any
// app on another port of this server, the key does not. What the browser
// loads by itself (the event stream, downloads) goes by one-time tickets.
import { invoke as tauriInvoke } from "@tauri-apps/api/core";
import { listen as tauriListen } from "@tauri-apps/api/event";
import type { ErrorCode, Event, Failure, FailureDetails, Replies_Serialize, Request } from "./bindings";

/** A command's wire name and its arguments, from the generated Request type. */
export type Command = Request["command"];
export type ArgsOf<C extends Command> = Extract<Request, { command: C }>["args"];

/** What each command answers: generated from the Rust declaration of the commands. */
export type Responses = Replies_Serialize;
export type Started = Responses["install"];

/** Thrown for any failed call; `message` is a sentence for the user, `code` what kind of failure it is (none for a transport failure) and `details` its data (e.g. the missing settings' names). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: ErrorCode | null = null,
    readonly details: FailureDetails = {},
  ) {
    super(message);
  }
}

/** A failure as the server or the desktop app sent it, if `data` is one. */
function asFailure(data: unknown): Failure | null {
  if (data && typeof data === "object" && "code" in data && "message" in data && typeof data.message === "string") {
    return data as Failure;
  }
  return null;
}

let onUnauthorized: () => void = () => {};
/** Called when the session is gone (the UI shows the login page). */
export function setUnauthorizedHandler(handler: () => void) {
  onUnauthorized = handler;
}

const KEY_ITEM = "berth-session-key";
const KEY_HEADER = "x-berth-session-key";

function sessionKey(): string | null {
  try {
    return localStorage.getItem(KEY_ITEM);
  } catch {
    return null;
  }
}

function keepSessionKey(key: string | null) {
  try {
    if (key) localStorage.setItem(KEY_ITEM, key);
    else localStorage.removeItem(KEY_ITEM);
  } catch {
    /* storage refused (private mode): the session lasts for this page only */
  }
}

/** The headers that prove this page's session. */
function sessionHeaders(): Record<string, string> {
  const key = sessionKey();
  return key ? { [KEY_HEADER]: key } : {};
}

/** POSTs JSON, or a file (a Blob) as it is, with this page's session. */
async function post<T>(path: string, body: unknown): Promise<T> {
  const file = body instanceof Blob;
  let response: Response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "content-type": file ? "application/octet-stream" : "application/json", ...sessionHeaders() },
      body: file ? body : JSON.stringify(body ?? {}),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError("Berth is not reachable: is berth serve running?", 0);
  }
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    if (response.status === 401 && path.startsWith("/api/") && !path.startsWith("/api/login")) {
      onUnauthorized();
    }
    const failure = asFailure(data);
    if (failure) throw new ApiError(failure.message, response.status, failure.code, failure.details ?? {});
    const message =
      data && typeof data === "object" && "error" in data && typeof data.error === "string"
        ? data.error
        : `Berth answered ${response.status}.`;
    throw new ApiError(message, response.status);
  }
  return data as T;
}

/** Whether the UI runs in the desktop app. */
export const inDesktop = (): boolean => typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;

/** The request a command and its arguments make: what the desktop's one `call` command and the socket take. */
export const request = <C extends Command>(command: C, args?: ArgsOf<C>): Request =>
  ({ command, args: args ?? {} }) as Request;

/** Runs one command. */
export async function invoke<C extends Command>(command: C, args?: ArgsOf<C>): Promise<Responses[C]> {
  if (inDesktop()) {
    try {
      return await tauriInvoke<Responses[C]>("call", { request: request(command, args) });
    } catch (e) {
      const failure = asFailure(e);
      if (failure) throw new ApiError(failure.message, 0, failure.code, failure.details ?? {});
      throw new ApiError(typeof e === "string" ? e : String(e), 0);
    }
  }
  return post<Responses[C]>(`/api/${command}`, args ?? {});
}

export type AuthState = { setupNeeded: boolean; user: string | null };

export async function authState(): Promise<AuthState> {
  // The desktop app's user is whoever sits at this computer.
  if (inDesktop()) return { setupNeeded: false, user: "desktop" };
  const response = await fetch("/api/auth", { credentials: "same-origin", headers: sessionHeaders() });
  return (await response.json()) as AuthState;
}

type LoggedIn = { user: string; key: string };
function loggedIn(r: LoggedIn): { user: string } {
  keepSessionKey(r.key);
  return { user: r.user };
}

/** First-run setup: the admin account, with the code `berth serve` printed. */
export const setup = (user: string, password: string, code: string) =>
  post<LoggedIn>("/api/setup", { user, password, code }).then(loggedIn);
export const login = (user: string, password: string) => post<LoggedIn>("/api/login", { user, password }).then(loggedIn);
export const logout = () => post<unknown>("/api/logout", {}).finally(() => keepSessionKey(null));

/** A one-time URL of `path` for the browser to load itself (valid for a minute). */
const ticketUrl = (path: string) => post<{ url: string }>("/api/ticket", { path }).then((r) => r.url);

/** Downloads `path` (a download route of this server) as a file. */
export async function download(path: string) {
  const a = document.createElement("a");
  a.href = await ticketUrl(path);
  a.download = "";
  a.click();
}

/** A picture of a store app as a URL an <img> can show; revoke it with `URL.revokeObjectURL` when done (browser only). */
export async function pictureUrl(store: string, app: string, file: string): Promise<string> {
  const url = fileUrl(store, app, file);
  if (inDesktop()) return url;
  const response = await fetch(url, { credentials: "same-origin", headers: sessionHeaders() });
  if (!response.ok) throw new ApiError(`Berth answered ${response.status}.`, response.status);
  return URL.createObjectURL(await response.blob());
}

/** Subscribes to every operation's events; returns the unsubscribe function. */
export function listen(handler: (event: Event) => void): () => void {
  if (inDesktop()) {
    const stop = tauriListen<Event>("berth-event", (e) => handler(e.payload));
    return () => void stop.then((unlisten) => unlisten());
  }
  // One event stream for the whole page, shared by every subscriber: a
  // browser allows only a few connections per server, and each page and
  // dialog listening on its own would use them up.
  handlers.add(handler);
  if (handlers.size === 1) void connect();
  return () => {
    handlers.delete(handler);
    if (handlers.size === 0) {
      source?.close();
      source = null;
    }
  };
}
const handlers = new Set<(event: Event) => void>();
let source: EventSource | null = null;
let connecting = false;

/** Opens the event stream with a fresh ticket; when it drops (a ticket is spent on its first use, so the browser's own retry is refused) opens it again. */
async function connect() {
  if (source || connecting || handlers.size === 0) return;
  connecting = true;
  let url: string;
  try {
    url = await ticketUrl("/api/events");
  } catch (e) {
    connecting = false;
    // Logged out: the login page shows (post said so); else try again soon.
    if (!(e instanceof ApiError && e.status === 401)) setTimeout(() => void connect(), 3000);
    return;
  }
  connecting = false;
  if (handlers.size === 0) return;
  const opened = new EventSource(url, { withCredentials: true });
  source = opened;
  opened.onmessage = (message) => {
    let event: Event;
    try {
      event = JSON.parse(message.data) as Event;
    } catch {
      return; // a line that is not an event is ignored
    }
    for (const h of [...handlers]) h(event);
  };
  opened.onerror = () => {
    opened.close();
    if (source !== opened) return;
    source = null;
    setTimeout(() => void connect(), 1000);
  };
}

/** URL of a picture of a store app (icon, screenshot). */
export const fileUrl = (store: string, app: string, file: string) =>
  `${inDesktop() ? "berthfile://localhost" : "/api/files"}/${encodeURIComponent(store)}/${encodeURIComponent(app)}/${file.split("/").map(encodeURIComponent).join("/")}`;

/** Opens an app's page: the system browser from the desktop app, a new tab in a browser. */
export function openExternal(url: string, event?: { preventDefault(): void }) {
  if (!inDesktop()) return;
  event?.preventDefault();
  void tauriInvoke("plugin:opener|open_url", { url });
}

/** POSTs to one of the HTTP-only routes beside the commands (account, uploads: see account.ts). */
export const postRoute = <T>(path: string, body: unknown): Promise<T> => post<T>(path, body);
