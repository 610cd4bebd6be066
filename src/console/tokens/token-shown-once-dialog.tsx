import { useState } from "react";
import { Dialog } from "../ui/dialog.js";

/**
 * The one time a token's text is shown: it lives in this dialog's props
 * only, so closing the dialog removes it from the page and from memory the
 * console holds.
 */
export function TokenShownOnceDialog({ token, name, onClose }: { token: string; name: string; onClose: () => void }) {
  const [copied, setCopied] = useState<"yes" | "failed">();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
  };
  return (
    <Dialog title={`Token for ${name}`} onClose={onClose}>
      <p className="warning" role="note">
        Copy it now: this is the only time it is shown. The service keeps only its hash.
      </p>
      <p>
        <code className="token" aria-label="The new token">
          {token}
        </code>
      </p>
      <div className="buttons">
        <span role="status">{copied === "yes" ? "Copied to the clipboard." : copied === "failed" ? "Could not copy: select the token and copy it by hand." : ""}</span>
        <button type="button" onClick={copy} data-autofocus>
          Copy token
        </button>
        <button type="button" className="primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}
