import type { VNode } from "preact";
import type { ExplainedSsoEvent } from "../../sign-in/explain-sso-events.js";
import { Layout, LocalTime } from "../render.js";
import { SettingsCrumbs } from "./settings-crumbs.js";

/** SSO events as the admins read them: when, who, what happened in our words, the technical reason and the fix. */
export function SsoEventTable({ events, showOutcome = false }: { events: ExplainedSsoEvent[]; showOutcome?: boolean }): VNode {
  return (
    <table class="stacked">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Who</th>
          <th scope="col">What happened</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <tr>
            <td>
              <LocalTime iso={e.at} />
              <div class="small muted">ref {e.reference}</div>
            </td>
            <td>{e.email ?? "unknown"}</td>
            <td>
              {showOutcome && (
                <>
                  <span class={`badge ${e.outcome === "success" ? "badge-ok" : "badge-warn"}`}>
                    {e.outcome === "success" ? "Worked" : "Failed"}
                  </span>{" "}
                </>
              )}
              {e.explanation}
              <div class="event-reason">{e.reason}</div>
              {e.fix && <div class="small">How to fix: {e.fix}</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export interface SsoEventLogPageProps {
  clinicName: string;
  userName: string;
  csrfToken: string;
  events: ExplainedSsoEvent[];
  filter: { show: string; days: string; reference: string };
  failureCodes: string[];
  page: number;
  hasMore: boolean;
}

/** The clinic's single sign-on log: every attempt with its reason and fix, filtered and paged. */
export function SsoEventLogPage(p: SsoEventLogPageProps): VNode {
  const query = (page: number) =>
    `/settings/sso/events?${new URLSearchParams({ show: p.filter.show, days: p.filter.days, reference: p.filter.reference, page: String(page) })}`;
  return (
    <Layout title="Sign-in log" brand={p.clinicName} signedInAs={{ name: p.userName, csrfToken: p.csrfToken }}>
      <SettingsCrumbs current="Single sign-on" />
      <h1>Single sign-on log</h1>
      <form method="get" action="/settings/sso/events" class="card">
        <label for="show">Show</label>
        <select id="show" name="show">
          <option value="all" selected={p.filter.show === "all"}>
            Everything
          </option>
          <option value="successes" selected={p.filter.show === "successes"}>
            Successes
          </option>
          <option value="failures" selected={p.filter.show === "failures"}>
            All failures
          </option>
          {p.failureCodes.map((code) => (
            <option value={`failure:${code}`} selected={p.filter.show === `failure:${code}`}>
              Failures: {code}
            </option>
          ))}
        </select>
        <label for="days">When</label>
        <select id="days" name="days">
          <option value="7" selected={p.filter.days === "7"}>
            Last 7 days
          </option>
          <option value="all" selected={p.filter.days === "all"}>
            Everything kept
          </option>
        </select>
        <label for="reference">Reference</label>
        <input type="text" id="reference" name="reference" value={p.filter.reference} />
        <button type="submit" class="secondary">
          Filter
        </button>
      </form>
      {p.events.length === 0 ? <p class="muted">Nothing matches.</p> : <SsoEventTable events={p.events} showOutcome />}
      <nav aria-label="Pages" class="actions">
        {p.page > 1 && (
          <a class="button secondary" href={query(p.page - 1)}>
            Newer
          </a>
        )}
        {p.hasMore && (
          <a class="button secondary" href={query(p.page + 1)}>
            Older
          </a>
        )}
      </nav>
    </Layout>
  );
}
