// The one modal dialog of the UI: a card over a dimmed page, labelled by its
// title, that takes focus when it opens, keeps Tab and Shift+Tab inside,
// closes on Escape when it may, and gives focus back to what opened it.
import { useEffect, useId, useLayoutEffect, useRef, useState, type ReactNode } from "react";
import { DialogStack, FOCUSABLE, tabTarget } from "./focus";

const dialogs = new DialogStack<object>();

/** The elements of `node` Tab reaches, in order. */
const focusables = (node: HTMLElement) =>
  Array.from(node.querySelectorAll<HTMLElement>(FOCUSABLE)).filter((el) => el.getClientRects().length > 0);

/**
 * `onClose` is what Escape does, as the dialog's Close or Cancel button
 * does; null while closing is not allowed (an operation still running).
 */
export function Dialog({ title, onClose, children }: { title: ReactNode; onClose: (() => void) | null; children: ReactNode }) {
  const titleId = useId();
  const node = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  useLayoutEffect(() => {
    close.current = onClose;
  });
  // What had focus before the dialog opened, read on its first render.
  const [opener] = useState(() => document.activeElement as HTMLElement | null);

  useEffect(() => {
    const self = {};
    const remove = dialogs.push(self);
    const dialog = node.current!;
    (focusables(dialog)[0] ?? dialog).focus();
    const onKey = (e: KeyboardEvent) => {
      if (!dialogs.isTop(self)) return;
      if (e.key === "Escape") {
        if (close.current) {
          e.preventDefault();
          close.current();
        }
        return;
      }
      if (e.key !== "Tab") return;
      const items = focusables(dialog);
      const to = tabTarget(items.length, items.indexOf(document.activeElement as HTMLElement), e.shiftKey);
      if (to === null) return;
      e.preventDefault();
      (to < 0 ? dialog : items[to]).focus();
    };
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("keydown", onKey);
      remove();
      if (opener?.isConnected) opener.focus();
    };
  }, [opener]);

  return (
    <div className="backdrop">
      <div className="card dialog" role="dialog" aria-modal="true" aria-labelledby={titleId} tabIndex={-1} ref={node}>
        <h2 id={titleId}>{title}</h2>
        {children}
      </div>
    </div>
  );
}
