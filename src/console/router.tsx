import { type MouseEvent, type ReactNode, useSyncExternalStore } from "react";

/** Where the server serves the console (see src/server/console-assets.ts). */
export const CONSOLE_BASE = "/ui/";

const listeners = new Set<() => void>();
window.addEventListener("popstate", () => listeners.forEach((l) => l()));

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The page's path below /ui/, e.g. "secrets"; "" for /ui/ itself. Query strings are never used: nothing goes into a URL but the page. */
export function useRoute(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname.slice(CONSOLE_BASE.length).replace(/\/$/, ""));
}

export function navigate(route: string): void {
  window.history.pushState(null, "", CONSOLE_BASE + route);
  listeners.forEach((l) => l());
}

export function Link({ to, current, children }: { to: string; current: boolean; children: ReactNode }) {
  const onClick = (e: MouseEvent) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={CONSOLE_BASE + to} onClick={onClick} aria-current={current ? "page" : undefined}>
      {children}
    </a>
  );
}
