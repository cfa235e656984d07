// Your own compose file: what its check found, in words; what the form
// lacks before it can install or update; a refusal as sentences.
import type { ComposeReport, FailureDetails, Severity } from "../bindings";

/** Compose files above this size are refused by Berth (as `berth compose` refuses them). */
export const MAX_COMPOSE_BYTES = 4 * 1024 * 1024;

const ID_RULE = "The app id may use lowercase letters, digits, - and _ (at most 63), starting with a letter or digit.";

/** Whether `id` can name an app, as Berth checks it. */
export const validAppId = (id: string): boolean => /^[a-z0-9][a-z0-9_-]{0,62}$/.test(id);

/** A severity in words, for the finding's badge. */
export function severityText(severity: Severity): string {
  switch (severity) {
    case "severe":
      return "Control of the server";
    case "warning":
      return "Needs your consent";
    default:
      return "Good to know";
  }
}

/** One line of the check's result: what a service asks, and whether it needs consent (again). */
export type FindingLine = { key: string; severity: Severity; kind: string; text: string; consent: "needed" | "given" | "none" };

/** The findings, most severe first (as Berth sorts them), each with whether consent is still needed. */
export function findingLines(report: ComposeReport): FindingLine[] {
  return report.findings.map((f) => ({
    key: `${f.kind}@${f.at}`,
    severity: f.severity,
    kind: f.kind,
    text: f.message,
    consent: !f.needsConsent ? "none" : f.consented ? "given" : "needed",
  }));
}

/** The services and ports a check found, one sentence each. */
export function summaryLines(report: ComposeReport): string[] {
  const services = report.services.map((s) => (s.image ? `${s.name} (${s.image})` : `${s.name} (no image: Berth cannot build it)`));
  const lines = [`${report.services.length === 1 ? "1 service" : `${report.services.length} services`}: ${services.join(", ")}.`];
  for (const p of report.ports) {
    const moved = p.requested != null && p.requested !== p.published ? ` instead of ${p.requested}` : "";
    lines.push(`${p.service} opens on port ${p.published}${moved} (its port ${p.target}/${p.protocol}).`);
  }
  return lines;
}

/** What the form lacks before it can be checked, as sentences; empty when it can. */
export function checkProblems(form: { mode: "install" | "update"; text: string; appId: string }): string[] {
  if (!form.text.trim()) return ["Paste a compose file, or choose one."];
  const out: string[] = [];
  if (new Blob([form.text]).size > MAX_COMPOSE_BYTES) out.push("The compose file is larger than 4 MB; Berth refuses it.");
  if (form.mode === "install" && form.appId && !validAppId(form.appId)) out.push(ID_RULE);
  return out;
}

/** What the form needs before it can install or update, as sentences; empty when it can. */
export function composeProblems(form: {
  mode: "install" | "update";
  text: string;
  appId: string;
  report: ComposeReport | null;
  consent: boolean;
}): string[] {
  const out = checkProblems(form);
  if (!form.text.trim()) return out;
  if (!form.report) return [...out, "Check the file first: Berth shows what it asks of your server."];
  if (form.mode === "install" && form.report.installed) {
    out.push(`An app named ${form.report.appId} is installed already; choose another app id.`);
  }
  if (form.report.needsConsent && !form.consent) out.push("Tick the box to allow what this app asks of your server.");
  return out;
}

/** A file chosen to read into the form: refused when it is too large to be a compose file. */
export function composeFileProblem(file: { name: string; size: number }): string | null {
  return file.size > MAX_COMPOSE_BYTES ? `${file.name} is larger than 4 MB; it is not a compose file Berth reads.` : null;
}

/** A refused check, install or update as sentences: what needs consent, one finding a line. */
export function composeFailure(failure: { message: string; code?: string | null; details?: FailureDetails }): string[] {
  const findings = failure.details?.findings ?? [];
  if (failure.code === "consentRequired" && findings.length > 0) {
    return ["This needs your consent for what it asks of your server:", ...findings];
  }
  return [failure.message];
}
