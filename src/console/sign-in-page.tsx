import { type FormEvent, useState } from "react";
import { createClient } from "@connectrpc/connect";
import { TokenService } from "../../gen/secrets/v1/tokens_pb.js";
import type { Session } from "./session.js";
import { createConsoleTransport } from "./transport.js";
import { ErrorNotice } from "./ui/states.js";

/** Checks a pasted token with WhoAmI; the token goes no further than the transport it is given to. */
export function SignInPage({ onSignedIn }: { onSignedIn: (s: Omit<Session, "signOut">) => void }) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const token = String(new FormData(form).get("token") ?? "").trim();
    form.reset();
    if (!token) return;
    setBusy(true);
    setError(undefined);
    const transport = createConsoleTransport(token);
    try {
      const me = await createClient(TokenService, transport).whoAmI({});
      onSignedIn({ principal: me.principal, roles: me.roles, transport });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <h1>Secrets console</h1>
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h2 id="sign-in-title">Sign in</h2>
        <label htmlFor="token">API token</label>
        <input id="token" name="token" type="password" autoComplete="off" spellCheck={false} required aria-describedby="token-help" />
        <p id="token-help" className="help">
          Paste an API token (<code>sst_…</code>) or a JWT. It is kept in this tab&apos;s memory only: reloading the page or signing out forgets it.
        </p>
        {error !== undefined && <ErrorNotice error={error} doing="Signing in" />}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
