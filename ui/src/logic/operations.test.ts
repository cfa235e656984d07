import { describe, expect, it } from "vitest";
import type { Event, OperationInfo, OperationKind, Step } from "../bindings";
import { applyPull, describe as describeEvent, imagePercent, operationPercent, outcomeText, type PullState, resultSentence, rollbackReason, STEPS, succeeded, updateHistory } from "./operations";

const ev = (e: Partial<Event> & { type: Event["type"] }): Event => ({ operation: 7, app: "a", ...e }) as Event;

describe("install progress", () => {
  it("adds up layers per image and ignores events without sizes", () => {
    let s: PullState = {};
    s = applyPull(s, ev({ type: "pull", image: "x", layer: "l1", current: 50, total: 100 }));
    s = applyPull(s, ev({ type: "pull", image: "x", layer: "l2", current: 0, total: 300 }));
    s = applyPull(s, ev({ type: "pull", image: "x", layer: null, current: null, total: null }));
    expect(imagePercent(s["x"])).toBe(12);
    // A layer never counts past its size.
    s = applyPull(s, ev({ type: "pull", image: "x", layer: "l2", current: 999, total: 300 }));
    expect(imagePercent(s["x"])).toBe(87);
    s = applyPull(s, ev({ type: "pull", image: "x", layer: "l1", current: 100, total: 100 }));
    expect(imagePercent(s["x"])).toBe(100);
  });

  it("reaches 100% only when the operation finished", () => {
    const events = [ev({ type: "accepted" }), ev({ type: "step", step: "render" }), ev({ type: "step", step: "start" })];
    expect(operationPercent([])).toBe(0);
    expect(operationPercent(events)).toBe(50);
    expect(operationPercent([...events, ev({ type: "finished", outcome: "done", error: null })])).toBe(100);
    expect(describeEvent(ev({ type: "finished", outcome: "failed", error: "the image does not exist" }))).toBe(
      "Failed: the image does not exist",
    );
  });
});

describe("update and rollback results", () => {
  const preamble = "the update of greeter failed and was rolled back; greeter runs as before: ";
  it("drops the engine's preamble from a rolled-back update's error", () => {
    expect(rollbackReason(`${preamble}greeter is not ready: port 80 never answered`)).toBe("greeter is not ready: port 80 never answered");
    expect(rollbackReason("the image does not exist")).toBe("the image does not exist");
  });

  it("ends an update with a sentence", () => {
    expect(resultSentence("update", "done", null, "1.2.0")).toBe("Updated to 1.2.0.");
    expect(resultSentence("update", "completed_after_restart", null, "1.2.0")).toBe("Updated to 1.2.0.");
    expect(resultSentence("update", "done", null, null)).toBe("Updated to the newest images.");
    expect(resultSentence("update", "unchanged", null, "1.2.0")).toBe("Already up to date.");
    expect(resultSentence("update", "rolled_back", `${preamble}greeter is not ready: port 80 never answered`, "2.0.0")).toBe(
      "The update failed and Berth put the previous version back: greeter is not ready: port 80 never answered",
    );
    expect(resultSentence("update", "rolled_back", null)).toBe("The update failed and Berth put the previous version back.");
    expect(resultSentence("update", "failed", "no space left")).toBe("The update failed: no space left");
    expect(resultSentence("update", null, null)).toBe("The update failed.");
  });

  it("ends a rollback with a sentence", () => {
    expect(resultSentence("rollback", "done", null, "1.1.0")).toBe("Rolled back to 1.1.0.");
    expect(resultSentence("rollback", "done", null)).toBe("Rolled back.");
    expect(resultSentence("rollback", "unchanged", null, "1.1.0")).toBe("Already as it was then.");
    expect(resultSentence("rollback", "rolled_back", `${preamble}the data could not be restored`, "1.1.0")).toBe(
      "The rollback failed and Berth put the app back as it was: the data could not be restored",
    );
    expect(resultSentence("rollback", "failed", "no such snapshot")).toBe("The rollback failed: no such snapshot");
  });

  it("knows which outcomes are successes, and names them", () => {
    expect(["done", "unchanged", "completed_after_restart"].every(succeeded)).toBe(true);
    expect([null, undefined, "failed", "rolled_back", "interrupted"].some(succeeded)).toBe(false);
    expect(outcomeText(null)).toBe("Running");
    expect(outcomeText("done")).toBe("Done");
    expect(outcomeText("rolled_back")).toBe("Failed, previous version put back");
    expect(outcomeText("something new")).toBe("something new");
  });
});

describe("update progress", () => {
  const step = (s: Step) => ev({ type: "step", step: s });
  it("follows the update's steps", () => {
    expect(STEPS.update).toEqual(["render", "pull", "stop", "snapshot", "swap", "migrate", "start", "health", "commit"]);
    expect(operationPercent([ev({ type: "accepted" })], "update")).toBe(0);
    expect(operationPercent([step("render")], "update")).toBe(0);
    expect(operationPercent([step("render"), step("pull"), step("stop")], "update")).toBe(22);
    expect(operationPercent([step("render"), step("pull"), step("stop"), step("snapshot"), step("swap"), step("start")], "update")).toBe(67);
    expect(operationPercent([step("swap"), step("migrate")], "update")).toBe(56);
    expect(operationPercent([step("commit")], "update")).toBe(89);
    // The same steps weigh differently in an install.
    expect(operationPercent([step("render"), step("pull"), step("start")], "install")).toBe(50);
    // Steps a kind does not have (unchanged, undo) do not move the bar.
    expect(operationPercent([step("render"), step("pull"), step("undo")], "update")).toBe(11);
    expect(operationPercent([step("render"), step("pull"), step("unchanged")], "update")).toBe(11);
    expect(operationPercent([step("render"), ev({ type: "finished", outcome: "rolled_back", error: "x" })], "update")).toBe(100);
  });
  it("counts the rollback's data step", () => {
    expect(STEPS.rollback).toContain("data");
    expect(operationPercent([step("swap"), step("data")], "rollback")).toBe(56);
  });
});

describe("update history", () => {
  const op = (id: number, kind: OperationKind, startedAt: number | null, app = "greeter"): OperationInfo => ({
    id,
    app,
    kind,
    startedAt,
    finishedAt: null,
    outcome: "done",
    error: null,
    steps: [],
  });
  it("keeps an app's updates and rollbacks, newest first", () => {
    const ops = [
      op(1, "install", 100),
      op(2, "update", 200),
      op(3, "stop", 250),
      op(4, "rollback", 300),
      op(5, "update", 400, "other"),
      op(6, "update", 300),
    ];
    expect(updateHistory(ops, "greeter").map((o) => o.id)).toEqual([6, 4, 2]);
    expect(updateHistory(ops, "other").map((o) => o.id)).toEqual([5]);
    expect(updateHistory(ops, "nobody")).toEqual([]);
    // The input is left as it was.
    expect(ops.map((o) => o.id)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
