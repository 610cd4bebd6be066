import { and, asc, eq, sql } from "drizzle-orm";
import type { ResourceAccessRecord } from "./records.js";
import { resourceGrants, resources } from "./schema.js";
import { preparedQuery } from "./prepared.js";
import type { Executor } from "./secrets-store.js";

export interface ResourceKey {
  resourceType: string;
  resourceId: string;
}

/** What an access decision about one resource needs to know of it, for one principal. */
export interface ResourceStanding {
  /** undefined while nobody owns the resource. */
  owner: string | undefined;
  /** Whether the principal asked about holds a grant. */
  granted: boolean;
}

const at = (k: ResourceKey) => and(eq(resources.resourceType, k.resourceType), eq(resources.resourceId, k.resourceId));
const grantsOf = (k: ResourceKey) => and(eq(resourceGrants.resourceType, k.resourceType), eq(resourceGrants.resourceId, k.resourceId));

const placeholder = sql.placeholder;
// Written out: drizzle renders columns unqualified inside sql``, which would make the correlation ambiguous.
const granted = sql<boolean>`exists (select 1 from resource_grants g where g.resource_type = "resources"."resource_type" and g.resource_id = "resources"."resource_id" and g.principal = ${placeholder("principal")})`;
const atPlaceholders = and(eq(resources.resourceType, placeholder("resourceType")), eq(resources.resourceId, placeholder("resourceId")));
type StandingParams = { resourceType: string; resourceId: string; principal: string };
type StandingRow = { owner: string; granted: boolean };

const standingQuery = (ex: Executor) => ex.select({ owner: resources.owner, granted }).from(resources).where(atPlaceholders);
const standingOf = preparedQuery<StandingParams, StandingRow[]>("resource_standing", standingQuery);

const claimOrStanding = preparedQuery<StandingParams, StandingRow[]>("resource_claim", (ex) => {
  const claimed = ex.$with("claimed").as(
    ex
      .insert(resources)
      .values({ resourceType: placeholder("resourceType"), resourceId: placeholder("resourceId"), owner: placeholder("principal"), lastUpdatedBy: placeholder("principal") })
      .onConflictDoNothing()
      .returning({ owner: resources.owner }),
  );
  return ex
    .with(claimed)
    .select({ owner: sql<string>`s.owner`, granted: sql<boolean>`s.granted` })
    .from(sql`(select "owner", false as "granted" from ${claimed} union all ${standingQuery(ex)}) as s`);
});

/** Resource owners and grants. */
export class ResourceStore {
  /** The owner of a resource and whether `principal` holds a grant on it, in one statement. */
  async standing(ex: Executor, key: ResourceKey, principal: string): Promise<ResourceStanding> {
    const [row] = await standingOf(ex, { ...key, principal });
    return { owner: row?.owner, granted: row?.granted === true };
  }

  /**
   * Makes `principal` the owner of a resource nobody owns yet, inside the
   * caller's transaction (a bind that fails takes its claim back with it),
   * and returns the standing afterwards: whoever claimed it first owns it.
   * One statement: the claim, or else the row already there, which the
   * statement's snapshot shows unless a concurrent claim is still in flight.
   */
  async claim(ex: Executor, key: ResourceKey, principal: string): Promise<ResourceStanding> {
    const [row] = await claimOrStanding(ex, { ...key, principal });
    // That claim waited for the concurrent one: its row is seen in a new snapshot, so a statement of its own.
    return row ? { owner: row.owner, granted: row.granted === true } : this.standing(ex, key, principal);
  }

  async get(ex: Executor, key: ResourceKey): Promise<ResourceAccessRecord> {
    const [owned] = await ex.select().from(resources).where(at(key));
    const grants = owned
      ? await ex
          .select({ principal: resourceGrants.principal, grantedBy: resourceGrants.grantedBy, grantedAt: resourceGrants.grantedAt })
          .from(resourceGrants)
          .where(grantsOf(key))
          .orderBy(asc(resourceGrants.principal))
      : [];
    return {
      ...key,
      owner: owned?.owner,
      grants,
      createdAt: owned?.createdAt,
      lastUpdatedBy: owned?.lastUpdatedBy ?? "",
      lastUpdatedAt: owned?.lastUpdatedAt,
    };
  }

  /** True when the grant is new. */
  async grant(ex: Executor, key: ResourceKey, principal: string, grantedBy: string): Promise<boolean> {
    const rows = await ex.insert(resourceGrants).values({ ...key, principal, grantedBy }).onConflictDoNothing().returning({ principal: resourceGrants.principal });
    if (rows.length > 0) await this.touch(ex, key, grantedBy);
    return rows.length > 0;
  }

  /** True when there was a grant to withdraw. */
  async revoke(ex: Executor, key: ResourceKey, principal: string, by: string): Promise<boolean> {
    const rows = await ex
      .delete(resourceGrants)
      .where(and(grantsOf(key), eq(resourceGrants.principal, principal)))
      .returning({ principal: resourceGrants.principal });
    if (rows.length > 0) await this.touch(ex, key, by);
    return rows.length > 0;
  }

  /** Sets the owner, creating the row for a resource nobody owned. */
  async transfer(ex: Executor, key: ResourceKey, newOwner: string, by: string): Promise<void> {
    await ex
      .insert(resources)
      .values({ ...key, owner: newOwner, lastUpdatedBy: by })
      .onConflictDoUpdate({ target: [resources.resourceType, resources.resourceId], set: { owner: newOwner, lastUpdatedBy: by, lastUpdatedAt: new Date() } });
  }

  private async touch(ex: Executor, key: ResourceKey, by: string): Promise<void> {
    await ex.update(resources).set({ lastUpdatedBy: by, lastUpdatedAt: new Date() }).where(at(key));
  }
}
