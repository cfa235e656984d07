// Browsing a backup and putting single files back: which paths have a place
// in the app, the folders above a path, and the sentence after.
import type { FilesRestored } from "../bindings";
import { formatBytes } from "./format";

/** Whether a path of a backup goes back into the app by itself: its data folder or a named volume. */
export function canPutBack(path: string): boolean {
  const parts = path.split("/").filter(Boolean);
  if (parts.length === 0) return false;
  if (parts[0] === "data") return true;
  return parts[0] === "volumes" && parts.length >= 2;
}

/** The folders from the backup's root down to `path`, for a breadcrumb: [{name, path}]. */
export function crumbs(path: string): { name: string; path: string }[] {
  const parts = path.split("/").filter(Boolean);
  return [{ name: "Backup", path: "" }, ...parts.map((name, i) => ({ name, path: parts.slice(0, i + 1).join("/") }))];
}

/** The sentence after files were put back. */
export function filesRestoredText(r: FilesRestored): string {
  const count = r.files === 1 ? "1 file" : `${r.files} files`;
  let s = `Put back ${count} (${formatBytes(r.bytes ?? 0)}) from backup ${r.backup} into ${r.to}.`;
  if (r.keptIn) s += ` ${r.replaced === 1 ? "The file it replaced is" : `The ${r.replaced} files it replaced are`} kept in ${r.keptIn}.`;
  if ((r.skipped ?? 0) > 0) s += ` ${r.skipped} device or pipe files were not put back.`;
  return s;
}
