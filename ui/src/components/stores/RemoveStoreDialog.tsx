// Remove a store: its apps leave the app store; apps installed from it stay.
import { invoke } from "../../api";
import { ConfirmDialog } from "../dialog/ConfirmDialog";

export function RemoveStoreDialog({ name, onClose, onRemoved }: { name: string; onClose: () => void; onRemoved: () => void }) {
  return (
    <ConfirmDialog title={`Remove the store ${name}?`} action="Remove store" run={() => invoke("catalogRemove", { name })} onClose={onClose} onDone={onRemoved}>
      <p>Its apps leave the app store. Apps already installed from it stay installed and keep running.</p>
    </ConfirmDialog>
  );
}
