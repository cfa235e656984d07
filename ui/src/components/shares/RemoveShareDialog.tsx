// Forget a share: its folder and files stay where they are.
import { invoke } from "../../api";
import { ConfirmDialog } from "../dialog/ConfirmDialog";

export function RemoveShareDialog({ name, path, onClose, onRemoved }: { name: string; path: string; onClose: () => void; onRemoved: () => void }) {
  return (
    <ConfirmDialog title={`Remove the share ${name}?`} action="Remove share" run={() => invoke("shareRemove", { name })} onClose={onClose} onDone={onRemoved}>
      <p>
        Berth forgets the share. Its folder <code>{path}</code> and every file in it stay on the server.
      </p>
    </ConfirmDialog>
  );
}
