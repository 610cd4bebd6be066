import { Code, ConnectError } from "@connectrpc/connect";

/** Call options carrying a bearer token. */
export const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

/** "ok", or "<Code>: <message>" of the error a call ended with: one string to compare whole. */
export async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    const e = ConnectError.from(err);
    return `${Code[e.code]}: ${e.rawMessage}`;
  }
  return "ok";
}
