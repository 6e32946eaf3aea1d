import type { VNode } from "preact";
import { describeNotification } from "../../notifications/notification.js";
import type { StoredNotification } from "../../notifications/notification.queries.js";
import { LocalTime } from "../render.js";

/** Where a dismissed notice sends the admin back to: the two pages that show notices. */
export const NOTICE_PAGES = ["/dashboard", "/settings/sso"] as const;
export type NoticePage = (typeof NOTICE_PAGES)[number];

/** The clinic's open notices for its admins, each with what to do and a Dismiss button. */
export function NotificationBanners(p: { notices: StoredNotification[]; csrfToken: string; page: NoticePage }): VNode | null {
  if (p.notices.length === 0) return null;
  return (
    <section aria-label="Notices for your clinic's admins" id="admin-notices">
      {p.notices.map((stored) => {
        const text = describeNotification(stored.notification);
        return (
          <div class="alert alert-info notice" role="status" data-notice={stored.notification.kind}>
            <strong>{text.title}</strong>
            <div class="small">
              {text.message}{" "}
              <span class="muted">
                (<LocalTime iso={stored.createdAt} />)
              </span>
            </div>
            <div class="toggle-row">
              <a href={text.action.href}>{text.action.label}</a>
              <form method="post" action="/notifications/dismiss" class="inline">
                <input type="hidden" name="_csrf" value={p.csrfToken} />
                <input type="hidden" name="id" value={stored.id} />
                <input type="hidden" name="page" value={p.page} />
                <button type="submit" class="secondary" aria-label={`Dismiss: ${text.title}`}>
                  Dismiss
                </button>
              </form>
            </div>
          </div>
        );
      })}
    </section>
  );
}
