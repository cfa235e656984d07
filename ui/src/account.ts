// What only the web UI does, over HTTP routes beside the commands: the
// account (password, sessions; the desktop app has no login) and stores
// uploaded as one archive (over HTTP no path on the server is taken; the
// desktop app adds a store from a path with catalogAdd instead).
import { postRoute } from "./api";
import type { StoreInfo } from "./bindings";
import type { SessionInfo } from "./logic";

/** Changes this user's password; how many other sessions were logged out. */
export const changePassword = (current: string, password: string) =>
  postRoute<{ ended: number }>("/api/account/password", { current, password }).then((r) => r.ended);

/** This user's sessions, the most recently used first. */
export const listSessions = () => postRoute<SessionInfo[]>("/api/account/sessions", {});

/** Ends one of this user's sessions; whether it was this one (then the page is logged out). */
export const endSession = (id: string) => postRoute<{ current: boolean }>("/api/account/sessions/end", { id }).then((r) => r.current);

/** Uploads a store's .tar.gz or .zip (a Berth, CasaOS or Umbrel store) and adds it as `name`. */
export const uploadStore = (file: File, name: string) =>
  postRoute<StoreInfo>(`/api/upload/store?name=${encodeURIComponent(name)}&file=${encodeURIComponent(file.name)}`, file);
