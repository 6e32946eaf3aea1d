import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { findClinicBySubdomain } from "../../clinics/clinic.queries.js";
import { changeSamlFlags } from "../../sso/saml/change-flags.js";
import { configureSamlConnection, type IdpSource } from "../../sso/saml/configure-connection.js";
import { describeSamlConnection } from "../../sso/saml/connection-summary.js";
import { findSamlConnection } from "../../sso/saml/connection.queries.js";
import { MAX_METADATA_BYTES } from "../../sso/saml/idp-metadata.js";
import { IDP_PRESETS, type IdpPreset } from "../../sso/saml/presets.js";
import { listSsoEvents } from "../../sso/saml/sso-events.js";
import type { WebContext } from "../context.js";
import { clientIp } from "../forms.js";
import { problem, invalidInput, notFound, sendProblem, type Problem } from "../problems.js";

const flagFields = {
  preset: z.enum(IDP_PRESETS as [string, ...string[]], { error: `must be one of ${IDP_PRESETS.join(", ")}` }).optional(),
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

const PatchBody = z.strictObject(flagFields).refine((b) => Object.keys(b).length > 0, "give at least one flag to change");

const noSuchClinic: Problem = { ...notFound, code: "clinic_not_found", message: "No clinic has that subdomain." };
const notConfigured: Problem = problem("sso_not_configured", {
  title: "Not configured",
  message: "This clinic has no SAML connection yet: PUT one first.",
});
export const enforceTooEarly: Problem = problem("enforce_before_first_sign_in", {
  title: "Not yet",
  message:
    "SSO can only be enforced after at least one successful SSO sign-in, so the clinic cannot be locked out by a connection that has never worked.",
});

const enforceAfterChange: Problem = {
  ...enforceTooEarly,
  message:
    "SSO can only be enforced after a successful SSO sign-in with the IdP as configured now: a new Issuer, SSO URL or certificate has not proved itself yet. Send enforceSso: false with the new settings, sign in once with SSO, then enforce.",
};

/** Operator API for a clinic's SAML connection (main site, operator token: checked by the operator API hook). */
export function registerSsoApi(api: FastifyInstance, ctx: WebContext): void {
  // http and local metadata URLs only for a local development start (http://localhost), never in production.
  const allowInsecure = !ctx.config.production;

  api.get<{ Params: { subdomain: string } }>("/api/v1/clinics/:subdomain/sso/saml", async (request, reply) => {
    const clinic = await findClinicBySubdomain(ctx.db, request.params.subdomain.toLowerCase());
    if (!clinic) return sendProblem(request, reply, noSuchClinic);
    return reply.send(describeSamlConnection(ctx.config, clinic, await findSamlConnection(ctx.db, clinic.id), ctx.clock()));
  });

  api.put<{ Params: { subdomain: string } }>(
    "/api/v1/clinics/:subdomain/sso/saml",
    { bodyLimit: 2 * MAX_METADATA_BYTES },
    async (request, reply) => {
      const clinic = await findClinicBySubdomain(ctx.db, request.params.subdomain.toLowerCase());
      if (!clinic) return sendProblem(request, reply, noSuchClinic);
      const input = PutBody.safeParse(request.body);
      if (!input.success) return sendProblem(request, reply, invalidInput(input.error));
      const {
        preset,
        enabled,
        allowIdpInitiated,
        jitProvisioning,
        enforceSso,
        metadataXml,
        metadataUrl,
        idpEntityId,
        idpSsoUrl,
        idpSsoBinding,
        idpCertificates,
      } = input.data;
      const existing = await findSamlConnection(ctx.db, clinic.id);
      const source: IdpSource =
        metadataXml !== undefined
          ? { metadataXml }
          : metadataUrl !== undefined
            ? { metadataUrl }
            : {
                idpEntityId: idpEntityId!,
                idpSsoUrl: idpSsoUrl!,
                idpSsoBinding: idpSsoBinding ?? "redirect",
                idpCertificates: idpCertificates!,
              };
      const flags = Object.fromEntries(
        Object.entries({ enabled, allowIdpInitiated, jitProvisioning, enforceSso }).filter(([, v]) => v !== undefined),
      );
      const result = await configureSamlConnection(
        ctx.db,
        clinic,
        { source, preset: (preset ?? existing?.preset ?? "generic") as IdpPreset, flags },
        { allowInsecure },
        { actor: "operator", ip: clientIp(request) },
        ctx.clock(),
      );
      if (!result.ok && result.error === "enforce_before_first_sign_in") return sendProblem(request, reply, enforceAfterChange);
      if (!result.ok) {
        const { field, message } = result.error;
        return sendProblem(
          request,
          reply,
          problem("invalid_idp_configuration", {
            title: "Check the IdP settings",
            message: `${field}: ${message}`,
            fields: { [field]: message },
          }),
        );
      }
      return reply.send(describeSamlConnection(ctx.config, clinic, result.value, ctx.clock()));
    },
  );

  api.patch<{ Params: { subdomain: string } }>("/api/v1/clinics/:subdomain/sso/saml", async (request, reply) => {
    const clinic = await findClinicBySubdomain(ctx.db, request.params.subdomain.toLowerCase());
    if (!clinic) return sendProblem(request, reply, noSuchClinic);
    const input = PatchBody.safeParse(request.body);
    if (!input.success) return sendProblem(request, reply, invalidInput(input.error));
    const { preset, ...flags } = input.data;
    const changes = { ...flags, ...(preset ? { preset: preset as IdpPreset } : {}) };
    const changed = await changeSamlFlags(ctx.db, clinic, changes, { actor: "operator", ip: clientIp(request) }, ctx.clock());
    if (!changed.ok) return sendProblem(request, reply, changed.error === "not_configured" ? notConfigured : enforceTooEarly);
    return reply.send(describeSamlConnection(ctx.config, clinic, changed.value, ctx.clock()));
  });

  api.get<{ Params: { subdomain: string }; Querystring: { limit?: string } }>(
    "/api/v1/clinics/:subdomain/sso/saml/events",
    async (request, reply) => {
      const clinic = await findClinicBySubdomain(ctx.db, request.params.subdomain.toLowerCase());
      if (!clinic) return sendProblem(request, reply, noSuchClinic);
      const limit = Math.min(Math.max(Number.parseInt(request.query.limit ?? "50", 10) || 50, 1), 500);
      return reply.send({ events: await listSsoEvents(ctx.db, clinic.id, { limit }) });
    },
  );
}
