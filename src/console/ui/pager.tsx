import type { PageTokens } from "./use-page-tokens.js";

export function Pager({ label, paging, nextPageToken, shown }: { label: string; paging: PageTokens; nextPageToken: string | undefined; shown: number }) {
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" onClick={paging.previous} disabled={paging.pageNumber === 1}>
        Previous page
      </button>
      <span>
        Page {paging.pageNumber} · {shown} shown
      </span>
      <button type="button" onClick={() => nextPageToken && paging.next(nextPageToken)} disabled={!nextPageToken}>
        Next page
      </button>
    </nav>
  );
}
