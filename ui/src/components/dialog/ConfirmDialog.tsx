// A question before something is removed or ended: the sentence, Cancel,
// and the action, which may fail (its error is shown, the dialog stays).
import { useState, type ReactNode } from "react";
import { Dialog } from "./Dialog";

export function ConfirmDialog({
  title,
  action,
  run,
  onClose,
  onDone,
  children,
}: {
  title: string;
  /** The danger button's label. */
  action: string;
  run: () => Promise<unknown>;
  onClose: () => void;
  onDone: () => void;
  children: ReactNode;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const go = async () => {
    setBusy(true);
    try {
      await run();
      onDone();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <Dialog title={title} onClose={busy ? null : onClose}>
      {children}
      {error && <p role="alert" className="error">{error}</p>}
      <div className="actions">
        <button onClick={onClose} disabled={busy}>Cancel</button>
        <button className="danger" onClick={go} disabled={busy}>{action}</button>
      </div>
    </Dialog>
  );
}
