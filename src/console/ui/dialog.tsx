import { type ReactNode, useEffect, useId, useRef } from "react";

interface DialogProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** "drawer" slides in from the side for details; "modal" sits in the middle for a task. */
  variant?: "modal" | "drawer";
}

/**
 * A native modal <dialog>: the browser keeps focus inside it, makes the
 * rest of the page inert and closes it on Escape. Opening moves focus to
 * the first field (or the dialog); closing returns it to what was focused
 * before, so a keyboard user stays where they were.
 */
export function Dialog({ title, onClose, children, variant = "modal" }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const close = useRef(onClose);
  close.current = onClose;

  useEffect(() => {
    const dialog = ref.current!;
    const opener = document.activeElement as HTMLElement | null;
    dialog.showModal();
    const first = dialog.querySelector<HTMLElement>("[data-autofocus], input:not([type=hidden]):not([disabled]):not([readonly]), select, textarea");
    (first ?? dialog).focus();
    const onCancel = (e: Event) => {
      e.preventDefault();
      close.current();
    };
    dialog.addEventListener("cancel", onCancel);
    return () => {
      dialog.removeEventListener("cancel", onCancel);
      dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  return (
    <dialog ref={ref} className={variant} aria-labelledby={titleId} tabIndex={-1}>
      <header className="dialog-header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon" onClick={onClose} aria-label="Close">
          ×
        </button>
      </header>
      <div className="dialog-body">{children}</div>
    </dialog>
  );
}

/** A task dialog's last row: Cancel, and the button that submits its form. */
export function DialogButtons({ onCancel, submit, disabled, danger, form }: { onCancel: () => void; submit: ReactNode; disabled?: boolean; danger?: boolean; form?: string }) {
  return (
    <div className="buttons">
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" form={form} className={danger ? "danger" : "primary"} disabled={disabled}>
        {submit}
      </button>
    </div>
  );
}
