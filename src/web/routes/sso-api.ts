import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { changeSamlFlags, type ChangeFlagsError } from "../../sso/saml/change-flags.js";
import {
  configureSamlConnection,
  type ConfigureError,
  type ConfigureSamlInput,
  type IdpSource,
} from "../../sso/saml/configure-connection.js";
import { describeSamlConnection } from "../../sso/saml/connection-summary.js";
import { findSamlConnection } from "../../sso/saml/connection.queries.js";
import { MAX_METADATA_BYTES } from "../../sso/saml/idp-metadata.js";
import { IDP_PRESETS, type IdpPreset } from "../../sso/saml/presets.js";
import { listSsoEvents } from "../../sso/saml/sso-events.js";
import type { WebContext } from "../context.js";
import { clientIp } from "../forms.js";
import { problem, invalidInput, sendProblem, type Problem } from "../problems.js";
import { operatorTarget } from "./operator-clinic.js";

const flagFields = {
  preset: z.enum(IDP_PRESETS as [IdpPreset, ...IdpPreset[]], { error: `must be one of ${IDP_PRESETS.join(", ")}` }).optional(),
  enabled: z.boolean({ error: "must be true or false" }).optional(),
  allowIdpInitiated: z.boolean({ error: "must be true or false" }).optional(),
  jitProvisioning: z.boolean({ error: "must be true or false" }).optional(),
  enforceSso: z.boolean({ error: "must be true or false" }).optional(),
};

const PutBody = z
  .strictObject({
    metadataXml: z.string().min(1, "must not be empty").max(MAX_METADATA_BYTES, "must be at most 1 MB").optional(),
    metadataUrl: z.string().min(1, "must not be empty").max(2048, "must be at most 2048 characters").optional(),
    idpEntityId: z.string().trim().min(1, "must not be empty").max(1024, "must be at most 1024 characters").optional(),
    idpSsoUrl: z.string().min(1, "must not be empty").max(2048, "must be at most 2048 characters").optional(),
    idpSsoBinding: z.enum(["redirect", "post"], { error: "must be redirect or post" }).optional(),
    idpCertificates: z
      .array(z.string().max(20_000, "is too long for a certificate"), { error: "must be a list of PEM certificates" })
      .min(1, "needs at least one certificate")
      .max(2, "takes at most two certificates (a rollover)")
      .optional(),
    ...flagFields,
  })
  .superRefine((body, ctx) => {
    const manual =
      body.idpEntityId !== undefined ||
      body.idpSsoUrl !== undefined ||
      body.idpCertificates !== undefined ||
      body.idpSsoBinding !== undefined;
    const sources = [body.metadataXml !== undefined, body.metadataUrl !== undefined, manual].filter(Boolean).length;
    if (sources !== 1) {
      ctx.addIssue({
        code: "custom",
        path: ["body"],
        message: "give exactly one of metadataXml, metadataUrl, or idpEntityId + idpSsoUrl + idpCertificates",
      });
    } else if (manual) {
      for (const field of ["idpEntityId", "idpSsoUrl", "idpCertificates"] as const) {
        if (body[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: "is required with a manual configuration" });
      }
    }
  });

/** The PUT body as what configuring the connection takes: exactly one way to describe the IdP, the preset and flags. */
const ConnectionInput = PutBody.transform(
  ({ preset, enabled, allowIdpInitiated, jitProvisioning, enforceSso, ...described }): ConfigureSamlInput => ({
    source: idpSourceOf(described),
    preset,
    flags: Object.fromEntries(
      Object.entries({ enabled, allowIdpInitiated, jitProvisioning, enforceSso }).filter(([, v]) => v !== undefined),
    ),
  }),
);

// PutBody's refinement let through exactly one source, and all three fields of a manual one.
function idpSourceOf(body: Omit<z.infer<typeof PutBody>, keyof typeof flagFields>): IdpSource {
  const { metadataXml, metadataUrl, idpEntityId = "", idpSsoUrl = "", idpSsoBinding = "redirect", idpCertificates = [] } = body;
  if (metadataXml !== undefined) return { metadataXml };
  if (metadataUrl !== undefined) return { metadataUrl };
  return { idpEntityId, idpSsoUrl, idpSsoBinding, idpCertificates };
}

const PatchBody = z.strictObject(flagFields).refine((b) => Object.keys(b).length > 0, "give at least one flag to change");

// Out-of-range or unreadable limits are clamped, never refused: 50 by default, 1 to 500.
const EventsQuery = z.object({ limit: z.unknown().optional() }).transform(({ limit }) => ({
  limit: Math.min(Math.max(Number.parseInt(String(limit ?? "50"), 10) || 50, 1), 500),
}));

const enforceTooEarly: Problem = problem("enforce_before_first_sign_in", {
  title: "Not yet",
  message:
    "SSO can only be enforced after at least one successful SSO sign-in, so the clinic cannot be locked out by a connection that has never worked.",
});

const CHANGE_FLAGS_PROBLEMS = {
  not_configured: problem("sso_not_configured", {
    title: "Not configured",
    message: "This clinic has no SAML connection yet: PUT one first.",
  }),
  enforce_before_first_sign_in: enforceTooEarly,
} satisfies Record<ChangeFlagsError, Problem>;

const enforceAfterChange: Problem = {
  ...enforceTooEarly,
  message:
    "SSO can only be enforced after a successful SSO sign-in with the IdP as configured now: a new Issuer, SSO URL or certificate has not proved itself yet. Send enforceSso: false with the new settings, sign in once with SSO, then enforce.",
};

function configureProblem(error: ConfigureError | "enforce_before_first_sign_in"): Problem {
  if (error === "enforce_before_first_sign_in") return enforceAfterChange;
  return problem("invalid_idp_configuration", {
    title: "Check the IdP settings",
    message: `${error.field}: ${error.message}`,
    fields: { [error.field]: error.message },
  });
}

/** Operator API for a clinic's SAML connection (main site, operator token: checked by the operator API hook). */
export function registerSsoApi(api: FastifyInstance, ctx: WebContext): void {
  // http and local metadata URLs only for a local development start (http://localhost), never in production.
  const policy = { allowInsecure: !ctx.config.production };

  api.get("/api/v1/clinics/:subdomain/sso/saml", async (request, reply) => {
    const clinic = operatorTarget(request);
    return reply.send(describeSamlConnection(ctx.config, clinic, await findSamlConnection(ctx.db, clinic.id), ctx.clock()));
  });

  api.put("/api/v1/clinics/:subdomain/sso/saml", { bodyLimit: 2 * MAX_METADATA_BYTES }, async (request, reply) => {
    const clinic = operatorTarget(request);
    const input = ConnectionInput.safeParse(request.body);
    if (!input.success) return sendProblem(request, reply, invalidInput(input.error));
    const result = await configureSamlConnection(
      ctx.db,
      clinic,
      input.data,
      policy,
      { actor: "operator", ip: clientIp(request) },
      ctx.clock(),
    );
    if (!result.ok) return sendProblem(request, reply, configureProblem(result.error));
    return reply.send(describeSamlConnection(ctx.config, clinic, result.value, ctx.clock()));
  });

  api.patch("/api/v1/clinics/:subdomain/sso/saml", async (request, reply) => {
    const clinic = operatorTarget(request);
    const input = PatchBody.safeParse(request.body);
    if (!input.success) return sendProblem(request, reply, invalidInput(input.error));
    const changed = await changeSamlFlags(ctx.db, clinic, input.data, { actor: "operator", ip: clientIp(request) }, ctx.clock());
    if (!changed.ok) return sendProblem(request, reply, CHANGE_FLAGS_PROBLEMS[changed.error]);
    return reply.send(describeSamlConnection(ctx.config, clinic, changed.value, ctx.clock()));
  });

  api.get("/api/v1/clinics/:subdomain/sso/saml/events", async (request, reply) => {
    const { limit } = EventsQuery.parse(request.query ?? {});
    return reply.send({ events: await listSsoEvents(ctx.db, operatorTarget(request).id, { limit }) });
  });
}
