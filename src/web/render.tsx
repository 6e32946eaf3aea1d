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
  brand?: string | undefined;
  /** Where the brand links to: by default the clinic dashboard under a clinic's name, else the home page; null for no link. */
  brandHref?: string | null;
  /** Widens the page's card, for tables such as Manage Users. */
  wide?: boolean;
  signedInAs?: { name: string; csrfToken: string } | undefined;
  children: ComponentChildren;
}

export function Layout({ title, brand, brandHref, wide, signedInAs, children }: LayoutProps): VNode {
  const href = brandHref === undefined ? (brand ? "/dashboard" : "/") : brandHref;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · ClinicRooms`}</title>
        <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/assets/app.css" />
        <script src="/assets/app.js" defer />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          {href ? (
            <a class="brand" href={href}>
              {brand ?? "ClinicRooms"}
            </a>
          ) : (
            <span class="brand">{brand ?? "ClinicRooms"}</span>
          )}
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
        <main id="main" class={wide ? "card wide" : "card"}>
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

// One format for every date and time on every page: "1 Dec 2026, 22:03 UTC" from the server, rewritten by
// public/app.js into the reader's own time zone with the same options ("1 Dec 2026, 23:03 CET").
const DATE_TIME = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  timeZone: "UTC",
  timeZoneName: "short",
});
const DATE_ONLY = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });

/** A stored ISO timestamp as people read it; the page's script shows it in their local time, zone named. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : DATE_TIME.format(date);
}

/** The one way pages show a moment: a <time> element the page's script turns into local time. */
export function LocalTime({ iso, dateOnly }: { iso: string; dateOnly?: boolean }): VNode {
  const date = new Date(iso);
  const text = Number.isNaN(date.getTime()) ? iso : dateOnly ? DATE_ONLY.format(date) : DATE_TIME.format(date);
  return (
    <time datetime={iso} data-local={dateOnly ? "date" : "datetime"}>
      {text}
    </time>
  );
}
