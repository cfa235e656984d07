// Give a share's files to the apps' user and group, after saying exactly
// what changes: only when the user asks, never on its own.
import { invoke } from "../../api";
import type { OwnershipFixed, ShareInfo } from "../../bindings";
import { accessProblem, fixOwnershipChange } from "../../logic";
import { ConfirmDialog } from "../dialog/ConfirmDialog";

export function FixOwnershipDialog({ share, onClose, onFixed }: { share: ShareInfo; onClose: () => void; onFixed: (f: OwnershipFixed) => void }) {
  return (
    <ConfirmDialog
      title={`Fix the ownership of ${share.name}?`}
      action="Fix ownership"
      run={() => invoke("shareFixOwnership", { name: share.name }).then(onFixed)}
      onClose={onClose}
      onDone={onClose}
    >
      <p>{accessProblem(share)}</p>
      <p data-testid="fix-ownership-change">{fixOwnershipChange(share)}</p>
      <p className="muted">On a big disk this takes a while.</p>
    </ConfirmDialog>
  );
}
