import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";

/**
 * A Connect transport to the service that served the page, carrying the
 * token in a header of every call. The token lives only in this closure:
 * never in storage, a cookie or a URL; signing out drops the transport.
 * Every call is a POST (no `useHttpGet`), so no request message is ever
 * put into a URL either.
 */
export function createConsoleTransport(token: string): Transport {
  const bearer: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  return createConnectTransport({ baseUrl: window.location.origin, interceptors: [bearer] });
}
