// The install dialog: its settings form and what it downloads.
import type { DownloadSize, Setting } from "../bindings";
import { formatBytes } from "./format";

/** What a settings form lacks or gets wrong, as sentences; empty when it can be sent. */
export function settingsProblems(settings: Setting[], values: Record<string, string>): string[] {
  const out: string[] = [];
  for (const s of settings) {
    const v = values[s.name] ?? "";
    const hasDefault = (s.default ?? "") !== "" || s.generate != null;
    if (s.required && v === "" && !hasDefault) out.push(`${s.label} is required.`);
    if (v === "") continue;
    if (s.type === "number" && Number.isNaN(Number(v))) out.push(`${s.label} must be a number.`);
    if (s.type === "bool" && v !== "true" && v !== "false") out.push(`${s.label} must be true or false.`);
    if (s.type === "select" && !(s.options ?? []).includes(v)) out.push(`${s.label} must be one of ${(s.options ?? []).join(", ")}.`);
  }
  return out;
}

/** Only the values the user set (empty fields fall back to the app's defaults). */
export function settingsToSend(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ""));
}

/** What the install dialog says about the download; null when unknown. */
export function downloadText(size: DownloadSize | null): string | null {
  if (!size || size.total == null) return null;
  return size.total === 0 ? "Everything needed is already here." : `Downloads ${formatBytes(size.total)}.`;
}
