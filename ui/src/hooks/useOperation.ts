// Following one long operation (install, update, rollback) on the event
// stream, from before it starts until it ends.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { invoke, listen, type Started } from "../api";
import type { Event } from "../bindings";
import { applyPull, type PullState } from "../logic";
import { usePolling } from "./usePolling";

export type Finished = Extract<Event, { type: "finished" }>;

/**
 * Follows one operation: listens before it is started (so no early event is
 * missed), keeps that operation's events only, and asks the history now and
 * then in case the event stream dropped its end.
 */
export function useOperation() {
  const [operation, setOperation] = useState<number | null>(null);
  const [events, setEvents] = useState<Event[]>([]);
  const buffered = useRef<Event[]>([]);
  const opRef = useRef<number | null>(null);
  const waiting = useRef(false);

  useEffect(
    () =>
      listen((e) => {
        if (opRef.current === null) {
          if (waiting.current) buffered.current.push(e);
          return;
        }
        if (e.operation !== opRef.current) return;
        // The history may have told the end first (see below): one end only.
        setEvents((es) => (e.type === "finished" && es.some((x) => x.type === "finished") ? es : [...es, e]));
      }),
    [],
  );

  const finished = events.find((e): e is Finished => e.type === "finished") ?? null;

  // A missed "finished" event must not leave the progress hanging: the history knows.
  const following = operation !== null && !finished;
  usePolling(
    (alive) => {
      if (!following) return;
      invoke("ops", { limit: 50 }).then(
        (ops) => {
          const op = ops.find((o) => o.id === operation);
          if (op?.outcome && alive() && opRef.current === operation) {
            setEvents((es) =>
              es.some((e) => e.type === "finished")
                ? es
                : [...es, { type: "finished", operation, app: op.app, outcome: op.outcome, error: op.error } as Event],
            );
          }
        },
        () => {},
      );
    },
    following ? 4000 : null,
    [operation, following],
  );

  /** Starts an operation with `run`; throws its refusal as a sentence. */
  const start = useCallback(async (run: () => Promise<Started>) => {
    opRef.current = null;
    buffered.current = [];
    waiting.current = true;
    setOperation(null);
    setEvents([]);
    try {
      const r = await run();
      opRef.current = r.operation;
      setOperation(r.operation);
      setEvents(buffered.current.filter((b) => b.operation === r.operation));
      return r.operation;
    } finally {
      waiting.current = false;
      buffered.current = [];
    }
  }, []);

  const pulls = useMemo(() => events.reduce(applyPull, {} as PullState), [events]);
  return { operation, events, pulls, finished, start };
}
