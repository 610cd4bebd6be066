import type { ReactNode } from "react";

/** One term of a drawer's metadata list (<dl className="meta">). */
export function Meta({ term, value }: { term: string; value: ReactNode }) {
  return (
    <>
      <dt>{term}</dt>
      <dd>{value}</dd>
    </>
  );
}
