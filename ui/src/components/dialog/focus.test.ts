import { describe, expect, it } from "vitest";
import { DialogStack, tabTarget } from "./focus";

describe("Tab inside a dialog", () => {
  it("wraps from the last element to the first, and back", () => {
    expect(tabTarget(3, 2, false)).toBe(0);
    expect(tabTarget(3, 0, true)).toBe(2);
  });
  it("leaves moves between the ends to the browser", () => {
    expect(tabTarget(3, 0, false)).toBeNull();
    expect(tabTarget(3, 1, false)).toBeNull();
    expect(tabTarget(3, 1, true)).toBeNull();
    expect(tabTarget(3, 2, true)).toBeNull();
  });
  it("brings focus from outside back in, at the end Tab would reach", () => {
    expect(tabTarget(3, -1, false)).toBe(0);
    expect(tabTarget(3, -1, true)).toBe(2);
  });
  it("keeps focus on the dialog when nothing in it can take it", () => {
    expect(tabTarget(0, -1, false)).toBe(-1);
    expect(tabTarget(0, -1, true)).toBe(-1);
  });
  it("stays on the only element", () => {
    expect(tabTarget(1, 0, false)).toBe(0);
    expect(tabTarget(1, 0, true)).toBe(0);
  });
});

describe("open dialogs", () => {
  it("gives the keys to the newest, then back to the one under it", () => {
    const stack = new DialogStack<string>();
    expect(stack.isTop("progress")).toBe(false);
    const closeProgress = stack.push("progress");
    expect(stack.isTop("progress")).toBe(true);
    const closeConfirm = stack.push("confirm");
    expect(stack.isTop("progress")).toBe(false);
    expect(stack.isTop("confirm")).toBe(true);
    closeConfirm();
    expect(stack.isTop("progress")).toBe(true);
    closeProgress();
    expect(stack.isTop("progress")).toBe(false);
  });
  it("takes off a dialog closed while another is over it", () => {
    const stack = new DialogStack<string>();
    const closeA = stack.push("a");
    stack.push("b");
    closeA();
    expect(stack.isTop("b")).toBe(true);
    closeA();
    expect(stack.isTop("b")).toBe(true);
  });
});
