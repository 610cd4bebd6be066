import { createContext, useContext } from "react";
import type { Transport } from "@connectrpc/connect";

export type Role = "admin" | "user" | "service";

export interface Session {
  principal: string;
  roles: readonly string[];
  transport: Transport;
  signOut(): void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in console");
  return session;
}

export function hasRole(session: Pick<Session, "roles">, role: Role): boolean {
  return session.roles.includes(role);
}

/** Users and admins change secrets; a service token only reads (the service's RPC_POLICY). */
export function mayWrite(session: Pick<Session, "roles">): boolean {
  return hasRole(session, "admin") || hasRole(session, "user");
}

/** A secret's creator and admins may change it (the service's `modify` rule); anyone else is not offered to. */
export function mayModify(session: Pick<Session, "roles" | "principal">, secret: { createdBy: string }): boolean {
  return hasRole(session, "admin") || (hasRole(session, "user") && secret.createdBy === session.principal);
}
