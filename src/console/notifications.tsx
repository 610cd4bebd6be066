import { type ReactNode, createContext, useCallback, useContext, useMemo, useRef, useState } from "react";
import { describeError } from "./describe-error.js";

interface Notification {
  id: number;
  kind: "success" | "error";
  text: string;
}

interface Notify {
  success(text: string): void;
  error(err: unknown, doing: string): void;
}

const NotifyContext = createContext<Notify | undefined>(undefined);

export function useNotify(): Notify {
  const notify = useContext(NotifyContext);
  if (!notify) throw new Error("useNotify outside NotificationsProvider");
  return notify;
}

/** Notifications stay until dismissed: a screen-reader user is told through live regions and has time to read. */
export function NotificationsProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<Notification[]>([]);
  const next = useRef(0);
  const push = useCallback((kind: Notification["kind"], text: string) => {
    setItems((list) => [...list.slice(-4), { id: ++next.current, kind, text }]);
  }, []);
  const notify = useMemo<Notify>(
    () => ({
      success: (text) => push("success", text),
      error: (err, doing) => {
        const d = describeError(err);
        push("error", `${doing} failed. ${d.summary} (${d.code}): ${d.message}`);
      },
    }),
    [push],
  );
  const dismiss = (id: number) => setItems((list) => list.filter((n) => n.id !== id));
  return (
    <NotifyContext.Provider value={notify}>
      {children}
      <section className="notifications" aria-label="Notifications">
        <div role="status" aria-live="polite">
          {items.filter((n) => n.kind === "success").map((n) => <NotificationItem key={n.id} item={n} onDismiss={dismiss} />)}
        </div>
        <div role="alert" aria-live="assertive">
          {items.filter((n) => n.kind === "error").map((n) => <NotificationItem key={n.id} item={n} onDismiss={dismiss} />)}
        </div>
      </section>
    </NotifyContext.Provider>
  );
}

function NotificationItem({ item, onDismiss }: { item: Notification; onDismiss: (id: number) => void }) {
  return (
    <div className={`notification ${item.kind}`}>
      <span>{item.text}</span>
      <button type="button" className="link" onClick={() => onDismiss(item.id)} aria-label="Dismiss notification">
        ×
      </button>
    </div>
  );
}
