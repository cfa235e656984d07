// What the update check found, for the badge and the update buttons.
import type { AppUpdate, UpdatesInfo } from "../bindings";
import { formatBytes } from "./format";

/** Whether the update check found something for this app. */
export const hasUpdate = (u: AppUpdate): boolean => !!u.version || u.changedImages.length > 0;

/** How many apps have an update (the nav badge). */
export const updateCount = (info: UpdatesInfo | null | undefined): number => (info?.apps ?? []).filter(hasUpdate).length;

/** What an update brings, for its button: `Update to 1.2 (12 MB)`. */
export function updateButtonText(u: AppUpdate): string {
  const what = u.version ? `Update to ${u.version}` : "Update to newer images";
  const bytes = u.downloadBytes;
  if (bytes == null) return what;
  return `${what} (${bytes === 0 ? "no download" : formatBytes(bytes)})`;
}
