// The Stores page: what a store is called, what an upload may be, and what
// a refresh did, in sentences.
import type { RefreshOutcome, StoreInfo } from "../bindings";
import { formatBytes } from "./format";

/** The largest store archive the server takes (its STORE_UPLOAD_LIMIT). */
export const STORE_UPLOAD_LIMIT = 64 * 1024 * 1024;

/** A store's name as Berth takes it (lowercase letters, digits, `-`), from a file or URL's last part. */
export function storeNameFrom(location: string): string {
  const last = location.replace(/[/\\]+$/, "").split(/[/\\]/).pop() ?? "";
  const bare = last.replace(/\.(tar\.gz|tgz|zip)$/i, "");
  const name = bare
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return name || "store";
}

/** Why a file cannot be uploaded as a store, or null. */
export function uploadProblem(file: { name: string; size: number }): string | null {
  if (!/\.(tar\.gz|tgz|zip)$/i.test(file.name)) return `${file.name} is not a .tar.gz or .zip file; download the store as one of those.`;
  if (file.size === 0) return `${file.name} is empty.`;
  if (file.size > STORE_UPLOAD_LIMIT) {
    return `${file.name} is ${formatBytes(file.size)}, more than the ${formatBytes(STORE_UPLOAD_LIMIT)} a store may be.`;
  }
  return null;
}

/** Why a remote store cannot be added as typed, or null. */
export function remoteProblem(url: string, key: string): string | null {
  if (!/^https?:\/\/\S+$/.test(url.trim())) return "The store's address must start with https:// (or http://).";
  if (!key.trim()) return "Give the store's public key: the base64 line of its minisign .pub file.";
  return null;
}

const KINDS: Record<string, string> = {
  embedded: "Built in",
  remote: "Signed remote store",
  folder: "Folder",
  archive: "Archive",
  casaos: "CasaOS store",
  umbrel: "Umbrel store",
};

/** What kind of store it is, in words. */
export const storeKind = (kind: string) => KINDS[kind] ?? kind;

/** How many apps a store offers, and how many it left out. */
export function storeApps(s: StoreInfo): string {
  const apps = `${s.apps} app${s.apps === 1 ? "" : "s"}`;
  const left = s.rejected.length;
  return left ? `${apps}; ${left} left out` : apps;
}

/** What a refresh did, one sentence per store. */
export function refreshSentences(outcomes: RefreshOutcome[]): string[] {
  if (outcomes.length === 0) return ["Only the built-in store is there; it needs no refresh."];
  return outcomes.map((o) => {
    if (o.outcome === "failed") return `${o.name} could not be refreshed: ${o.error ?? "unknown error"}.`.replace(/\.\.$/, ".");
    const apps = `${o.apps} app${o.apps === 1 ? "" : "s"}`;
    return o.outcome === "updated" ? `${o.name} is refreshed: ${apps}.` : `${o.name} is unchanged: ${apps}.`;
  });
}
