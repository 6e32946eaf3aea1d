import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { findClinicBySubdomain } from "../../clinics/clinic.queries.js";
import { listClinicEmailDomains, MAX_EMAIL_DOMAINS, setClinicEmailDomains } from "../../clinics/email-domains.js";
import type { WebContext } from "../context.js";
import { clientIp } from "../forms.js";
import { invalidInput, notFound, sendProblem } from "../problems.js";

const PutBody = z.strictObject({
  domains: z
    .array(z.string({ error: "must be a list of domains" }).max(300, "has a domain that is too long"), {
      error: "must be a list of domains",
    })
    .max(MAX_EMAIL_DOMAINS, `takes at most ${MAX_EMAIL_DOMAINS} domains`),
  /** Moves a domain another clinic locked to this one: the operator's decision alone. */
  reassign: z.boolean({ error: "must be true or false" }).optional(),
});

/** Operator API for a clinic's email-domain lock (main site, operator token: checked by the operator API hook). */
export function registerEmailDomainsApi(api: FastifyInstance, ctx: WebContext): void {
  const noSuchClinic = { ...notFound, code: "clinic_not_found", message: "No clinic has that subdomain." };

  api.get<{ Params: { subdomain: string } }>("/api/v1/clinics/:subdomain/email-domains", async (request, reply) => {
    const clinic = await findClinicBySubdomain(ctx.db, request.params.subdomain.toLowerCase());
    if (!clinic) return sendProblem(request, reply, noSuchClinic);
    return reply.send({ domains: await listClinicEmailDomains(ctx.db, clinic.id) });
  });

  api.put<{ Params: { subdomain: string } }>("/api/v1/clinics/:subdomain/email-domains", async (request, reply) => {
    const clinic = await findClinicBySubdomain(ctx.db, request.params.subdomain.toLowerCase());
    if (!clinic) return sendProblem(request, reply, noSuchClinic);
    const input = PutBody.safeParse(request.body);
    if (!input.success) return sendProblem(request, reply, invalidInput(input.error));
    const { domains, reassign = false } = input.data;
    const saved = await setClinicEmailDomains(
      ctx.db,
      clinic,
      { domains, reassign },
      { actor: "operator", ip: clientIp(request) },
      ctx.clock(),
    );
    if (saved.ok) return reply.send({ domains: saved.value });
    const error = saved.error;
    switch (error.kind) {
      case "invalid_domain":
        return sendProblem(request, reply, {
          status: 400,
          code: "invalid_domain",
          title: "Check the domains",
          message: `domains: “${error.domain}” ${error.message}`,
          fields: { domains: `“${error.domain}” ${error.message}` },
        });
      case "too_many_domains":
        return sendProblem(request, reply, {
          status: 400,
          code: "too_many_domains",
          title: "Too many domains",
          message: `domains takes at most ${MAX_EMAIL_DOMAINS} domains`,
        });
      case "domain_locked_elsewhere":
        return sendProblem(request, reply, {
          status: 409,
          code: "domain_locked_elsewhere",
          title: "Domain locked by another clinic",
          message: `${error.domain} is locked by ${error.clinicName}. Send "reassign": true to move it to ${clinic.subdomain}.`,
        });
    }
  });
}
