import type { FastifyInstance } from "fastify";
import { findSamlConnection } from "../../sso/saml/connection.queries.js";
import { findMetadataCheck, findPendingMetadataChange } from "../../sso/saml/metadata-change.queries.js";
import {
  approveMetadataChange,
  metadataUrlOf,
  rejectMetadataChange,
  type MetadataDecisionError,
  type MetadataRefresh,
} from "../../sso/saml/metadata-refresh.js";
import type { Db } from "../../db/open.js";
import type { WebContext } from "../context.js";
import { clientIp, formFields } from "../forms.js";
import { forClinicAdmin } from "../guards.js";
import type { MetadataRefreshView } from "../pages/metadata-refresh.js";
import { sendProblem, type Problem } from "../problems.js";
import { operatorTarget } from "./operator-clinic.js";
import { refreshMetadataAndNotify } from "../sso-upkeep.js";
import { seeOther } from "../statuses.js";

const backToSettings = { href: "/settings/sso#metadata-refresh", label: "Back to single sign-on" };

// Every refusal of a decision, in words, with what to do next.
const DECISION_PROBLEMS = {
  no_such_change: {
    code: "no_such_change",
    title: "That change is no longer waiting",
    message: "Another admin decided it, or a newer check replaced it. The page shows what is waiting now.",
    next: backToSettings,
  },
  connection_changed: {
    code: "connection_changed",
    title: "Your connection changed since this was found",
    message: "The difference shown no longer describes your connection, so nothing was applied. Press Check now to compare again.",
    next: backToSettings,
  },
  enforce_before_first_sign_in: {
    code: "enforce_before_first_sign_in",
    title: "Single sign-on is required, and this change has not proved itself",
    message:
      "Applying it would replace the IdP, SSO URL or certificate that your last successful sign-in used while everyone must use single sign-on. Turn off Require single sign-on, approve, sign in once with single sign-on, then require it again.",
    next: backToSettings,
  },
} as const satisfies Record<MetadataDecisionError, Problem>;

/** What the settings page shows about a connection's metadata URL, or null when it was not set up from one. */
export async function loadMetadataRefreshView(db: Db, clinicId: string): Promise<MetadataRefreshView | null> {
  const connection = await findSamlConnection(db, clinicId);
  const metadataUrl = connection ? metadataUrlOf(connection.source) : null;
  if (!metadataUrl) return null;
  return { metadataUrl, lastCheck: await findMetadataCheck(db, clinicId), pending: await findPendingMetadataChange(db, clinicId) };
}

/** "Check now", approve and reject on /settings/sso, and the operator's refresh call. */
export function registerMetadataRefreshRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.post(
    "/settings/sso/metadata/check",
    { preHandler: app.csrfProtection },
    forClinicAdmin(async (_request, reply, admin) => {
      // The outcome is kept with the clinic (last check) and shown by the page; a difference becomes a pending change.
      await refreshMetadataAndNotify(ctx, admin.clinic);
      return seeOther(reply, "/settings/sso#metadata-refresh");
    }),
  );

  for (const decision of ["approve", "reject"] as const) {
    app.post(
      `/settings/sso/metadata/${decision}`,
      { preHandler: app.csrfProtection },
      forClinicAdmin(async (request, reply, admin) => {
        const changeId = formFields(request).change ?? "";
        const by = { actor: admin.auth.user.id, ip: clientIp(request) };
        const decided =
          decision === "approve"
            ? await approveMetadataChange(ctx.db, admin.clinic, changeId, by, ctx.clock())
            : await rejectMetadataChange(ctx.db, admin.clinic, changeId, by, ctx.clock());
        if (!decided.ok) return sendProblem(request, reply, DECISION_PROBLEMS[decided.error]);
        return seeOther(reply, "/settings/sso#metadata-refresh");
      }),
    );
  }
}

/** Operator API: re-fetch a clinic's metadata URL now (main site, operator token: checked by the operator API hook). */
export function registerMetadataRefreshApi(api: FastifyInstance, ctx: WebContext): void {
  api.post("/api/v1/clinics/:subdomain/sso/saml/metadata/refresh", async (request, reply) => {
    return reply.send(describeRefresh(await refreshMetadataAndNotify(ctx, operatorTarget(request))));
  });
}

function describeRefresh(refreshed: MetadataRefresh): Record<string, unknown> {
  switch (refreshed.kind) {
    case "not_by_url":
      return { outcome: "not_by_url", message: "This connection was not set up from a metadata URL: there is nothing to re-fetch." };
    case "unchanged":
      return { outcome: "unchanged" };
    case "failed":
      return { outcome: "failed", problem: refreshed.problem };
    case "rejected_before":
      return { outcome: "rejected_before", differences: refreshed.differences };
    case "change_pending":
      return { outcome: "change_pending", changeId: refreshed.change.id, differences: refreshed.differences };
  }
}
