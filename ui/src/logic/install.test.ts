import { describe, expect, it } from "vitest";
import type { Setting } from "../bindings";
import { installFailure, settingsProblems, settingsToSend } from "./install";

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
  it("names the settings the server says are missing, by their labels", () => {
    expect(
      installFailure(settings, { message: "ADMIN is required", code: "settingsMissing", details: { app: "x", missing: ["ADMIN", "OTHER"] } }),
    ).toEqual({ problems: ["Admin name is required.", "OTHER is required."], missing: ["ADMIN", "OTHER"] });
    expect(installFailure(settings, { message: "x is already installed", code: "conflict", details: {} })).toEqual({
      problems: ["x is already installed"],
      missing: [],
    });
  });
});
