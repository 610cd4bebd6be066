import { useState } from "react";

/**
 * Paging through the API's opaque page tokens: the tokens of the pages
 * already seen are kept so Previous can go back; a change of filters
 * starts again from the first page.
 */
export function usePageTokens(filterKey: string) {
  const [state, setState] = useState<{ key: string; tokens: string[] }>({ key: filterKey, tokens: [""] });
  const tokens = state.key === filterKey ? state.tokens : [""];
  return {
    pageToken: tokens[tokens.length - 1]!,
    pageNumber: tokens.length,
    next: (token: string) => setState({ key: filterKey, tokens: [...tokens, token] }),
    previous: () => setState({ key: filterKey, tokens: tokens.slice(0, -1) }),
  };
}

export type PageTokens = ReturnType<typeof usePageTokens>;
