import type { ReactNode } from "react";
import { describeError } from "../describe-error.js";

export function Loading({ what }: { what: string }) {
  return (
    <p className="state loading" role="status">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state empty">
      <p className="empty-title">{title}</p>
      {children && <p>{children}</p>}
    </div>
  );
}

export function ErrorNotice({ error, doing }: { error: unknown; doing: string }) {
  const d = describeError(error);
  return (
    <div className="state error" role="alert">
      <p className="error-title">
        {doing} failed. {d.summary} (<code>{d.code}</code>)
      </p>
      <p>{d.message}</p>
    </div>
  );
}
