// What the update check found, shared by the nav's badge and the pages:
// the daemon's last check, read again every few minutes and after each
// operation; "Check for updates" asks for a new check.
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { invoke, listen } from "./api";
import type { AppUpdate, UpdatesInfo } from "./bindings";
import { usePolling } from "./hooks/usePolling";
import { hasUpdate, updateCount } from "./logic";

const EVERY_MS = 3 * 60 * 1000;

type Updates = {
  info: UpdatesInfo | null;
  count: number;
  /** The update available for an app, if any. */
  of: (app: string) => AppUpdate | null;
  checking: boolean;
  error: string | null;
  /** Checks the stores and registries now. */
  check: () => Promise<void>;
  /** Reads the daemon's last check again. */
  reload: () => void;
};

const Context = createContext<Updates | null>(null);

export function UpdatesProvider({ children }: { children: ReactNode }) {
  const [info, setInfo] = useState<UpdatesInfo | null>(null);
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);
  const refreshing = useRef(0);

  const fetchUpdates = useCallback(async (refresh: boolean) => {
    // While a check runs, the daemon's last check is older than what it will
    // answer: reading that must not replace (or discard) the check's answer.
    if (!refresh && refreshing.current > 0) return;
    const mine = ++seq.current;
    if (refresh) refreshing.current++;
    try {
      const found = await invoke("updates", { refresh });
      // An older answer arriving late must not replace a newer one.
      if (mine === seq.current) {
        setInfo(found);
        setError(null);
      }
    } catch (e) {
      if (mine === seq.current) setError((e as Error).message);
    } finally {
      if (refresh) refreshing.current--;
    }
  }, []);

  const reload = useCallback(() => void fetchUpdates(false), [fetchUpdates]);
  const check = useCallback(async () => {
    setChecking(true);
    try {
      await fetchUpdates(true);
    } finally {
      setChecking(false);
    }
  }, [fetchUpdates]);

  usePolling(reload, EVERY_MS, [reload]);
  useEffect(() => {
    // Rollbacks (the only operations with a "data" step) bring an older
    // version back, which the last check did not know about: check again.
    const rollbacks = new Set<number>();
    const stop = listen((e) => {
      if (e.type === "step" && e.step === "data" && e.operation != null) rollbacks.add(e.operation);
      if (e.type !== "finished") return;
      if (e.operation != null && rollbacks.delete(e.operation) && e.outcome === "done") void check();
      else reload();
    });
    return stop;
  }, [reload, check]);

  const of = useCallback((app: string) => info?.apps.find((u) => u.app === app && hasUpdate(u)) ?? null, [info]);
  return (
    <Context.Provider value={{ info, count: updateCount(info), of, checking, error, check, reload }}>{children}</Context.Provider>
  );
}

export function useUpdates(): Updates {
  const u = useContext(Context);
  if (!u) throw new Error("useUpdates outside UpdatesProvider");
  return u;
}
