// The transport under the UI. In the desktop app (Tauri) a command is a Tauri
// IPC call to the tauri-specta command of the same name (snake_case) and
// progress comes as `berth-event` Tauri events; in a browser it is
// POST /api/<command> with the same JSON argument object and progress comes
// from the server-sent event stream. Errors are sentences either way.
import { invoke as tauriInvoke } from "@tauri-apps/api/core";
import { listen as tauriListen } from "@tauri-apps/api/event";
import type {
  AppInfo,
  AppStats,
  AppSummary,
  CatalogAppInfo,
  DiagnoseReport,
  AppDisk,
  DownloadSize,
  Event,
  LimitsChanged,
  LogEntry,
  OperationInfo,
  PruneReport,
  RefreshOutcome,
  Request,
  Sample,
  SnapshotInfo,
  StoreInfo,
  SystemInfo,
  UpdatesInfo,
  VersionInfo,
} from "./bindings";

/** A command's wire name and its arguments, from the generated Request type. */
export type Command = Request["command"];
export type ArgsOf<C extends Command> = Extract<Request, { command: C }> extends { args: infer A }
  ? A
  : Record<string, never>;

/** What each command answers (the daemon's replies, per command). */
export type Started = { operation: number };
export type Responses = {
  version: VersionInfo;
  apps: AppInfo[];
  status: AppInfo;
  install: Started;
  uninstall: Started;
  start: Started;
  stop: Started;
  restart: Started;
  logs: Extract<Event, { type: "log" }>[];
  ops: OperationInfo[];
  catalogStores: StoreInfo[];
  catalogAdd: StoreInfo;
  catalogRemove: null;
  catalogRefresh: RefreshOutcome[];
  catalogApps: AppSummary[];
  catalogSearch: AppSummary[];
  catalogShow: CatalogAppInfo;
  secrets: Record<string, string>;
  updates: UpdatesInfo;
  update: Started;
  rollback: Started;
  snapshots: SnapshotInfo[];
  imagesPrune: PruneReport;
  downloadSize: DownloadSize;
  system: SystemInfo;
  stats: AppStats[];
  statsHistory: Sample[];
  logSearch: LogEntry[];
  diagnose: DiagnoseReport;
  limits: LimitsChanged;
  disk: AppDisk;
  diskCap: AppDisk;
};
// Every command must have a reply type: this fails to compile when one is missing.
type _Complete = [Exclude<Command, keyof Responses>] extends [never] ? true : never;
export const complete: _Complete = true;

/** Thrown for any failed call; `message` is a sentence for the user. */
export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

let onUnauthorized: () => void = () => {};
/** Called when the session is gone (the UI shows the login page). */
export function setUnauthorizedHandler(handler: () => void) {
  onUnauthorized = handler;
}

async function post<T>(path: string, body: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body ?? {}),
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

/** A command's Tauri name: `catalogSearch` → `catalog_search`. */
export const tauriName = (command: string) => command.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Runs one command. */
export async function invoke<C extends Command>(command: C, args?: ArgsOf<C>): Promise<Responses[C]> {
  if (inDesktop()) {
    // The desktop's install takes its InstallArgs as `args`; the others take the fields themselves.
    const ipcArgs = command === "install" ? { args } : (args ?? {});
    try {
      return await tauriInvoke<Responses[C]>(tauriName(command), ipcArgs as Record<string, unknown>);
    } catch (e) {
      throw new ApiError(typeof e === "string" ? e : String(e), 400);
    }
  }
  return post<Responses[C]>(`/api/${command}`, args ?? {});
}

export type AuthState = { setupNeeded: boolean; user: string | null };

export async function authState(): Promise<AuthState> {
  // The desktop app's user is whoever sits at this computer.
  if (inDesktop()) return { setupNeeded: false, user: "desktop" };
  const response = await fetch("/api/auth", { credentials: "same-origin" });
  return (await response.json()) as AuthState;
}

export const setup = (user: string, password: string) => post<{ user: string }>("/api/setup", { user, password });
export const login = (user: string, password: string) => post<{ user: string }>("/api/login", { user, password });
export const logout = () => post<unknown>("/api/logout", {});

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
  if (!source) {
    source = new EventSource("/api/events", { withCredentials: true });
    source.onmessage = (message) => {
      let event: Event;
      try {
        event = JSON.parse(message.data) as Event;
      } catch {
        return; // a line that is not an event is ignored
      }
      for (const h of [...handlers]) h(event);
    };
  }
  return () => {
    handlers.delete(handler);
    if (handlers.size === 0 && source) {
      source.close();
      source = null;
    }
  };
}
const handlers = new Set<(event: Event) => void>();
let source: EventSource | null = null;

/** URL of a picture of a store app (icon, screenshot). */
export const fileUrl = (store: string, app: string, file: string) =>
  `${inDesktop() ? "berthfile://localhost" : "/api/files"}/${encodeURIComponent(store)}/${encodeURIComponent(app)}/${file.split("/").map(encodeURIComponent).join("/")}`;

/** Opens an app's page: the system browser from the desktop app, a new tab in a browser. */
export function openExternal(url: string, event?: { preventDefault(): void }) {
  if (!inDesktop()) return;
  event?.preventDefault();
  void tauriInvoke("plugin:opener|open_url", { url });
}
