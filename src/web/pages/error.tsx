import type { VNode } from "preact";
import { Layout } from "../render.js";

export interface ErrorPageProps {
  title: string;
  message: string;
  reference?: string | undefined;
  /** The request's id, when the reference is another one (an SSO event's): the log line carries both. */
  requestId?: string | undefined;
  /** What the person can do next, e.g. a link back to the sign-in page. */
  next?: { href: string; label: string } | undefined;
  brand?: string | undefined;
}

export function ErrorPage(p: ErrorPageProps): VNode {
  return (
    <Layout title={p.title} brand={p.brand}>
      <h1>{p.title}</h1>
      <p>{p.message}</p>
      {p.reference && (
        <p class="muted small">
          If you contact support, give them this reference: <span class="ref">{p.reference}</span>
          {p.requestId && (
            <>
              {" "}
              (request <span class="ref">{p.requestId}</span>)
            </>
          )}
        </p>
      )}
      {p.next && (
        <a class="button secondary" href={p.next.href}>
          {p.next.label}
        </a>
      )}
    </Layout>
  );
}
