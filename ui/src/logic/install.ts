// The install dialog: its settings form and what it downloads.
import type { DownloadSize, FailureDetails, Setting } from "../bindings";
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

/** A refused install as sentences for the form: the settings the server says have no value by their labels (from the failure's data, not re-derived), else its sentence. */
export function installFailure(
  settings: Setting[],
  failure: { message: string; code?: string | null; details?: FailureDetails },
): { problems: string[]; missing: string[] } {
  const missing = failure.code === "settingsMissing" ? (failure.details?.missing ?? []) : [];
  if (missing.length === 0) return { problems: [failure.message], missing };
  const label = (name: string) => settings.find((s) => s.name === name)?.label ?? name;
  return { problems: missing.map((name) => `${label(name)} is required.`), missing };
}
