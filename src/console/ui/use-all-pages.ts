import type { DescMessage, DescMethodUnary, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { useInfiniteQuery } from "@connectrpc/connect-query";
import { useEffect, useMemo } from "react";

/** The API's largest page (page_size "at most 1000"): reading a whole list takes the fewest calls. */
export const ALL_PAGES_SIZE = 1000;

type PagedInput<I extends DescMessage> = Omit<MessageInitShape<I>, "pageToken" | "pageSize" | "$typeName">;

/**
 * Every item of a paged list, following next_page_token until the last
 * page: for joins and counts that are wrong on any one page. `complete`
 * stays false until the last page is in, so a count is never shown from
 * part of the list; a refetch (after a change) keeps the old items shown
 * and re-reads every page.
 */
export function useAllPages<I extends DescMessage, O extends DescMessage, T>(method: DescMethodUnary<I, O>, input: PagedInput<I>, itemsOf: (page: MessageShape<O>) => T[], options: { enabled?: boolean } = {}) {
  // connect-query types the page param per concrete method; this hook serves any method whose
  // request has page_size/page_token and whose answer has next_page_token, hence the casts.
  const query = useInfiniteQuery(method, { ...input, pageSize: ALL_PAGES_SIZE, pageToken: "" } as never, {
    pageParamKey: "pageToken" as never,
    getNextPageParam: ((page: MessageShape<O>) => (page as { nextPageToken?: string }).nextPageToken || undefined) as never,
    enabled: options.enabled,
  });
  const { hasNextPage, isFetchingNextPage, isError, fetchNextPage } = query;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && !isError) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, isError, fetchNextPage]);
  const pages = query.data?.pages as MessageShape<O>[] | undefined;
  // itemsOf only picks a field, so the pages alone decide the items.
  const items = useMemo(() => (pages ?? []).flatMap(itemsOf), [pages]);
  return { items, complete: query.isSuccess && !hasNextPage, error: query.error };
}
