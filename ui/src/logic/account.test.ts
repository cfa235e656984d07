import { describe, expect, it } from "vitest";
import { ago, browserOf, passwordChanged, passwordProblem } from "./account";

describe("account", () => {
  it("checks a new password as the server does, and the two typings", () => {
    expect(passwordProblem("admin", "old password", "a new long one", "a new long one")).toBeNull();
    expect(passwordProblem("admin", "", "a new long one", "a new long one")).toBe("Type your current password.");
    expect(passwordProblem("admin", "old", "short", "short")).toBe("Choose a password of at least 10 characters.");
    expect(passwordProblem("administrator", "old", "ADMINISTRATOR", "ADMINISTRATOR")).toBe("The password must not be the user name.");
    expect(passwordProblem("admin", "same old password", "same old password", "same old password")).toMatch(/is the current one/);
    expect(passwordProblem("admin", "old", "a new long one", "a new long on")).toBe("The two new passwords differ.");
    // Characters, not bytes: ten accented letters are enough.
    expect(passwordProblem("admin", "old", "éééééééééé", "éééééééééé")).toBeNull();
  });

  it("names browsers as people do", () => {
    expect(browserOf("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/141.0.0.0 Safari/537.36")).toBe("Chrome on Linux");
    expect(browserOf("Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0")).toBe("Firefox on Android");
    expect(browserOf("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")).toBe("Safari on iOS");
    expect(browserOf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0")).toBe("Edge on Windows");
    expect(browserOf("curl/8.5.0")).toBe("curl/8.5.0");
    expect(browserOf(null)).toBe("Unknown browser");
  });

  it("says how long ago", () => {
    const now = 1_000_000_000;
    expect(ago(now - 5_000, now)).toBe("just now");
    expect(ago(now + 5_000, now)).toBe("just now");
    expect(ago(now - 60_000, now)).toBe("1 minute ago");
    expect(ago(now - 5 * 3_600_000, now)).toBe("5 hours ago");
    expect(ago(now - 2 * 86_400_000, now)).toBe("2 days ago");
  });

  it("says what a password change did", () => {
    expect(passwordChanged(0)).toBe("Your password is changed.");
    expect(passwordChanged(1)).toBe("Your password is changed, and 1 other session was logged out.");
    expect(passwordChanged(3)).toBe("Your password is changed, and 3 other sessions were logged out.");
  });
});
