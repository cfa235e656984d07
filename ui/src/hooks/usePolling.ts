// The one polling loop of the UI: pages and sections that show what the
// daemon knows ask again every few seconds, and stop when they go away.
import { useEffect, type DependencyList } from "react";

/**
 * Calls `poll` now and then every `ms` milliseconds (only once when `ms` is
 * null), again from the start whenever `ms` or `deps` change. `alive()` turns
 * false once the component unmounts or the deps change, so an answer that
 * arrives late is dropped rather than shown for the wrong app.
 */
export function usePolling(poll: (alive: () => boolean) => void, ms: number | null, deps: DependencyList): void {
  useEffect(() => {
    let alive = true;
    const isAlive = () => alive;
    poll(isAlive);
    const timer = ms === null ? undefined : setInterval(() => poll(isAlive), ms);
    return () => {
      alive = false;
      clearInterval(timer);
    };
    // `poll` is the caller's closure over `deps`: those say when it changes.
  }, [ms, ...deps]); // eslint-disable-line react-hooks/exhaustive-deps
}
