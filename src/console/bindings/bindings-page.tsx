import { useQuery } from "@connectrpc/connect-query";
import { type FormEvent, useId, useState } from "react";
import { SecretsService } from "../../../gen/secrets/v1/service_pb.js";
import { useAllSecrets } from "../secrets/use-secret-usage.js";
import { mayWrite, useSession } from "../session.js";
import { Pager } from "../ui/pager.js";
import { ErrorNotice, Loading } from "../ui/states.js";
import { usePageTokens } from "../ui/use-page-tokens.js";
import { BindSecretForm } from "./bind-secret-form.js";
import { BindingsTable } from "./bindings-table.js";
import { ResourceAccessPanel } from "./resource-access.js";

interface ResourceFilter {
  resourceType?: string;
  resourceId?: string;
}

export function BindingsPage() {
  const session = useSession();
  const id = useId();
  const [filter, setFilter] = useState<ResourceFilter>({});
  const paging = usePageTokens(JSON.stringify(filter));
  const bindings = useQuery(SecretsService.method.listBindings, { ...filter, pageSize: 50, pageToken: paging.pageToken });
  const secrets = useAllSecrets();
  const names = new Map(secrets.items.map((s) => [s.secretId, s.secretName]));

  const apply = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const resourceType = String(data.get("filter-type")).trim() || undefined;
    const resourceId = String(data.get("filter-id")).trim() || undefined;
    setFilter({ resourceType, resourceId });
  };

  return (
    <>
      {mayWrite(session) && <BindSecretForm />}
      <h2>Bindings by resource</h2>
      <form className="filters" onSubmit={apply} role="search" aria-label="Filter bindings">
        <label htmlFor={`${id}-type`}>Resource type</label>
        <input id={`${id}-type`} name="filter-type" placeholder="any" />
        <label htmlFor={`${id}-rid`}>Resource id</label>
        <input id={`${id}-rid`} name="filter-id" placeholder="any" />
        <button type="submit">Show bindings</button>
      </form>
      {filter.resourceType && filter.resourceId ? (
        <ResourceAccessPanel key={`${filter.resourceType}/${filter.resourceId}`} resource={{ resourceType: filter.resourceType, resourceId: filter.resourceId }} />
      ) : (
        <p className="help">Name a resource type and id to see who owns the resource and whom it lets in.</p>
      )}
      {bindings.isPending ? (
        <Loading what="bindings" />
      ) : bindings.isError ? (
        <ErrorNotice error={bindings.error} doing="Loading bindings" />
      ) : (
        <>
          <BindingsTable bindings={bindings.data.bindings} secretNames={names} emptyText={filter.resourceId || filter.resourceType ? "Nothing is bound to this resource" : "No bindings yet"} />
          <Pager label="Bindings" paging={paging} nextPageToken={bindings.data.nextPageToken} shown={bindings.data.bindings.length} />
        </>
      )}
    </>
  );
}
