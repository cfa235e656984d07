// The keyboard rules of a modal dialog, apart from React and the DOM so they
// can be unit-tested: which open dialog the keys belong to, and where Tab
// goes without leaving it.

/** What can take focus by Tab, before leaving out the hidden ones. */
export const FOCUSABLE = [
  "a[href]",
  "button:not([disabled])",
  "input:not([disabled]):not([type=hidden])",
  "select:not([disabled])",
  "textarea:not([disabled])",
  "summary",
  '[tabindex]:not([tabindex="-1"])',
].join(", ");

/**
 * Where Tab (Shift+Tab when `back`) moves focus in a dialog with `count`
 * focusable elements, from the one at `at` (-1: none of them has focus): the
 * index to focus, -1 for the dialog itself (it has nothing focusable), or
 * null to let the browser move on, which stays inside.
 */
export function tabTarget(count: number, at: number, back: boolean): number | null {
  if (count === 0) return -1;
  if (at < 0) return back ? count - 1 : 0;
  if (back && at === 0) return count - 1;
  if (!back && at === count - 1) return 0;
  return null;
}

/**
 * The dialogs open now, the newest last: a dialog opened from another (a
 * confirmation over an operation's progress) takes the keys until it closes.
 */
export class DialogStack<T> {
  private open: T[] = [];

  /** Puts `dialog` on top; returns what takes it off again. */
  push(dialog: T): () => void {
    this.open.push(dialog);
    return () => {
      const i = this.open.lastIndexOf(dialog);
      if (i >= 0) this.open.splice(i, 1);
    };
  }

  /** Whether `dialog` is the one the keys belong to. */
  isTop(dialog: T): boolean {
    return this.open.length > 0 && this.open[this.open.length - 1] === dialog;
  }
}
