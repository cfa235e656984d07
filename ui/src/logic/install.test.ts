import { describe, expect, it } from "vitest";
import type { Setting } from "../bindings";
import { settingsProblems, settingsToSend } from "./install";

describe("settings form", () => {
  const settings: Setting[] = [
    { name: "ADMIN", label: "Admin name", type: "string", required: true },
    { name: "TOKEN", label: "Token", type: "password", required: true, generate: 32 },
    { name: "MODE", label: "Mode", type: "select", options: ["a", "b"], default: "a" },
    { name: "N", label: "Workers", type: "number" },
  ];
  it("names what is missing or wrong", () => {
    expect(settingsProblems(settings, {})).toEqual(["Admin name is required."]);
    expect(settingsProblems(settings, { ADMIN: "me", MODE: "c", N: "many" })).toEqual([
      "Mode must be one of a, b.",
      "Workers must be a number.",
    ]);
    expect(settingsProblems(settings, { ADMIN: "me" })).toEqual([]);
  });
  it("sends only what the user set", () => {
    expect(settingsToSend({ ADMIN: "me", TOKEN: "" })).toEqual({ ADMIN: "me" });
  });
});
