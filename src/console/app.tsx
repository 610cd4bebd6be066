import { TransportProvider } from "@connectrpc/connect-query";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { NotificationsProvider } from "./notifications.js";
import { type Session, SessionContext } from "./session.js";
import { Shell } from "./shell.js";
import { SignInPage } from "./sign-in-page.js";

type SignedIn = Omit<Session, "signOut">;

/**
 * Signing in makes a new transport and a new query cache; signing out
 * drops both, so nothing one principal loaded is shown to the next.
 */
export function App() {
  const [signedIn, setSignedIn] = useState<SignedIn>();
  const queryClient = useMemo(
    () => new QueryClient({ defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false, staleTime: 5_000 } } }),
    [signedIn],
  );
  const session = useMemo<Session | undefined>(() => signedIn && { ...signedIn, signOut: () => setSignedIn(undefined) }, [signedIn]);
  return (
    <NotificationsProvider>
      {session ? (
        <SessionContext.Provider value={session}>
          <TransportProvider transport={session.transport}>
            <QueryClientProvider client={queryClient}>
              <Shell />
            </QueryClientProvider>
          </TransportProvider>
        </SessionContext.Provider>
      ) : (
        <SignInPage onSignedIn={setSignedIn} />
      )}
    </NotificationsProvider>
  );
}
