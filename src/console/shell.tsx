import { useEffect, useRef } from "react";
import { pagesFor } from "./pages.js";
import { Link, navigate, useRoute } from "./router.js";
import { useSession } from "./session.js";

/** The signed-in frame: who is signed in, the pages this role may use, and the current page. */
export function Shell() {
  const session = useSession();
  const route = useRoute();
  const pages = pagesFor(session);
  const page = pages.find((p) => p.route === route);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (!page) navigate(pages[0]!.route);
  }, [page, pages]);
  // A new page moves focus to its heading, so a screen reader announces where the user is.
  useEffect(() => {
    if (page) {
      document.title = `${page.title} · Secrets console`;
      heading.current?.focus();
    }
  }, [page]);

  if (!page) return null;
  const Page = page.component;
  return (
    <div className="shell">
      <header className="top">
        <span className="brand">Secrets console</span>
        <div className="who" aria-label="Signed in as">
          Signed in as <strong>{session.principal}</strong>{" "}
          {session.roles.map((r) => (
            <span key={r} className="badge">
              {r}
            </span>
          ))}
          <button type="button" onClick={session.signOut}>
            Sign out
          </button>
        </div>
      </header>
      <nav className="side" aria-label="Pages">
        <ul>
          {pages.map((p) => (
            <li key={p.route}>
              <Link to={p.route} current={p === page}>
                {p.title}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content">
        <h1 ref={heading} tabIndex={-1}>
          {page.title}
        </h1>
        <Page />
      </main>
    </div>
  );
}
