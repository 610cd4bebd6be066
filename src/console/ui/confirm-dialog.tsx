import type { ReactNode } from "react";
import { Dialog } from "./dialog.js";
import { ErrorNotice } from "./states.js";

interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
  pending: boolean;
  /** The failed call, shown in the dialog so the user sees why and may retry. */
  error?: unknown;
  doing: string;
}

/** A destructive step asked once more; focus starts on "Cancel", so Enter alone never destroys anything. */
export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onClose, pending, error, doing }: ConfirmDialogProps) {
  return (
    <Dialog title={title} onClose={onClose}>
      {children}
      {error != null && <ErrorNotice error={error} doing={doing} />}
      <div className="buttons">
        <button type="button" onClick={onClose} data-autofocus>
          Cancel
        </button>
        <button type="button" className="danger" onClick={onConfirm} disabled={pending}>
          {confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
