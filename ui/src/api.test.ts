import { afterEach, describe, expect, it, vi } from "vitest";

describe("transports", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("makes the desktop's one call from a command and its arguments", async () => {
    const { request, inDesktop } = await import("./api");
    expect(request("catalogSearch", { query: "media" })).toEqual({ command: "catalogSearch", args: { query: "media" } });
    expect(request("apps")).toEqual({ command: "apps", args: {} });
    expect(inDesktop()).toBe(false);
  });

  it("turns a failure's code and details into the thrown error", async () => {
    const body = {
      code: "settingsMissing",
      message: "ADMIN_PASSWORD is required",
      details: { app: "nextcloud", missing: ["ADMIN_PASSWORD"] },
      error: "ADMIN_PASSWORD is required",
    };
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response(JSON.stringify(body), { status: 400, headers: { "content-type": "application/json" } })),
    );
    const { invoke, ApiError } = await import("./api");
    const failed = await invoke("install", { catalogApp: "nextcloud" }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ApiError);
    const e = failed as InstanceType<typeof ApiError>;
    expect(e.status).toBe(400);
    expect(e.code).toBe("settingsMissing");
    expect(e.details.missing).toEqual(["ADMIN_PASSWORD"]);
    expect(e.message).toBe("ADMIN_PASSWORD is required");
  });

  it("keeps the sentence of a refusal that is not a command's failure", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify({ error: "log in first" }), { status: 401 })));
    const { invoke, ApiError } = await import("./api");
    const failed = (await invoke("apps").catch((e: unknown) => e)) as InstanceType<typeof ApiError>;
    expect(failed.message).toBe("log in first");
    expect(failed.code).toBeNull();
  });
});
