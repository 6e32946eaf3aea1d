import type { FastifyReply } from "fastify";
import type { ComponentChildren, VNode } from "preact";
import { renderToString } from "preact-render-to-string";

/** A server-rendered page as HTML; preact escapes every interpolated value, so no text can become markup. */
export function renderPage(page: VNode): string {
  return `<!doctype html>${renderToString(page)}`;
}

/** Sends a server-rendered page. */
export function sendPage(reply: FastifyReply, page: VNode, status = 200): FastifyReply {
  return reply.status(status).header("content-type", "text/html; charset=utf-8").header("cache-control", "no-store").send(renderPage(page));
}

export interface LayoutProps {
  title: string;
  /** Shown at the top left: the clinic's name on clinic hosts. */
  brand?: string;
  signedInAs?: { name: string; csrfToken: string } | undefined;
  children: ComponentChildren;
}

export function Layout({ title, brand, signedInAs, children }: LayoutProps): VNode {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · ClinicRooms`}</title>
        <link rel="stylesheet" href="/assets/app.css" />
        <script src="/assets/app.js" defer />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <span class="brand">{brand ?? "ClinicRooms"}</span>
          {signedInAs && (
            <form method="post" action="/sign-out" class="inline">
              <input type="hidden" name="_csrf" value={signedInAs.csrfToken} />
              <span class="who">{signedInAs.name}</span>
              <button type="submit" class="link">
                Sign out
              </button>
            </form>
          )}
        </header>
        <main id="main" class="card">
          {children}
        </main>
        <footer class="foot">ClinicRooms · secure rooms for telehealth clinics</footer>
      </body>
    </html>
  );
}

/** A form error or notice, announced to screen readers. */
export function Alert({ kind, children }: { kind: "error" | "info" | "success"; children: ComponentChildren }): VNode {
  return (
    <div class={`alert alert-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}
