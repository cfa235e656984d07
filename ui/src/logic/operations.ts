// Long operations (install, update, rollback): their progress from the event
// stream, the log of their steps and the sentences that end them.
import type { Event, OperationInfo, Step } from "../bindings";

/** Download progress of an install, from its pull events: per image, done/total bytes over its layers. */
export type PullState = Record<string, Record<string, { current: number; total: number }>>;

export function applyPull(state: PullState, event: Event): PullState {
  if (event.type !== "pull" || !event.layer || event.total == null || event.total <= 0) return state;
  const image = { ...(state[event.image] ?? {}) };
  image[event.layer] = { current: Math.min(event.current ?? 0, event.total), total: event.total };
  return { ...state, [event.image]: image };
}

/** Percent (0–100) of one image's layers downloaded. */
export function imagePercent(layers: Record<string, { current: number; total: number }>): number {
  let done = 0;
  let total = 0;
  for (const l of Object.values(layers)) {
    done += l.current;
    total += l.total;
  }
  return total === 0 ? 0 : Math.floor((100 * done) / total);
}

/** The steps of each long operation, in order. */
export type OperationKind = "install" | "update" | "rollback";
export const STEPS: Record<OperationKind, Step[]> = {
  install: ["render", "pull", "start", "commit"],
  update: ["render", "pull", "stop", "snapshot", "swap", "migrate", "start", "health", "commit"],
  rollback: ["render", "pull", "stop", "snapshot", "swap", "data", "start", "health", "commit"],
};

/** How far a stream of events got (0–100): the last step reached, 100 once finished. */
export function operationPercent(events: Event[], kind: OperationKind = "install"): number {
  if (events.some((e) => e.type === "finished")) return 100;
  const order = STEPS[kind];
  const steps = events.filter((e): e is Extract<Event, { type: "step" }> => e.type === "step").map((e) => e.step);
  const reached = Math.max(-1, ...steps.map((s) => order.indexOf(s)));
  return reached < 0 ? 0 : Math.round((100 * reached) / order.length);
}

/** A line for the step log, or null for events that do not make one. */
export function describe(event: Event): string | null {
  switch (event.type) {
    case "accepted":
      return `Operation ${event.operation} started`;
    case "step":
      return `Step: ${event.step}`;
    case "service":
      return `${event.service}: ${event.state}`;
    case "finished":
      return event.error ? `Failed: ${event.error}` : `Finished: ${event.outcome ?? "done"}`;
    default:
      return null;
  }
}

/** The error of a rolled-back update without the engine's preamble (the sentence says it already). */
export function rollbackReason(error: string): string {
  return error.replace(/^the update of \S+ failed and was rolled back; \S+ runs as before: /, "");
}

/** The sentence ending an update or a rollback. `to` is the version it went to, if known. */
export function resultSentence(kind: "update" | "rollback", outcome: string | null | undefined, error: string | null | undefined, to?: string | null): string {
  const why = error ? rollbackReason(error) : "";
  const because = why ? `: ${why}` : ".";
  if (kind === "update") {
    switch (outcome) {
      case "done":
      case "completed_after_restart":
        return to ? `Updated to ${to}.` : "Updated to the newest images.";
      case "unchanged":
        return "Already up to date.";
      case "rolled_back":
        return `The update failed and Berth put the previous version back${because}`;
      default:
        return `The update failed${because}`;
    }
  }
  switch (outcome) {
    case "done":
    case "completed_after_restart":
      return to ? `Rolled back to ${to}.` : "Rolled back.";
    case "unchanged":
      return "Already as it was then.";
    case "rolled_back":
      return `The rollback failed and Berth put the app back as it was${because}`;
    default:
      return `The rollback failed${because}`;
  }
}

/** Whether an outcome is a success. */
export const succeeded = (outcome: string | null | undefined): boolean =>
  outcome === "done" || outcome === "unchanged" || outcome === "completed_after_restart";

/** An app's updates and rollbacks, newest first. */
export function updateHistory(ops: OperationInfo[], app: string): OperationInfo[] {
  return ops
    .filter((o) => o.app === app && (o.kind === "update" || o.kind === "rollback"))
    .sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0) || (b.id ?? 0) - (a.id ?? 0));
}

/** An outcome in words, for the history. */
export function outcomeText(outcome: string | null | undefined): string {
  switch (outcome) {
    case null:
    case undefined:
      return "Running";
    case "done":
      return "Done";
    case "unchanged":
      return "Already up to date";
    case "rolled_back":
      return "Failed, previous version put back";
    case "completed_after_restart":
      return "Done (finished after a restart)";
    case "interrupted":
      return "Interrupted";
    case "failed":
      return "Failed";
    default:
      return outcome;
  }
}
