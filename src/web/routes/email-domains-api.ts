import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Clinic } from "../../clinics/clinic.js";
import { listClinicEmailDomains, MAX_EMAIL_DOMAINS, setClinicEmailDomains, type EmailDomainsRefusal } from "../../clinics/email-domains.js";
import type { WebContext } from "../context.js";
import { clientIp } from "../forms.js";
import { invalidInput, problem, sendProblem, type Problem } from "../problems.js";
import { operatorTarget } from "./operator-clinic.js";

const PutBody = z.strictObject({
  domains: z
    .array(z.string({ error: "must be a list of domains" }).max(300, "has a domain that is too long"), {
      error: "must be a list of domains",
    })
    .max(MAX_EMAIL_DOMAINS, `takes at most ${MAX_EMAIL_DOMAINS} domains`),
  /** Moves a domain another clinic locked to this one: the operator's decision alone. */
  reassign: z.boolean({ error: "must be true or false" }).default(false),
});

/** Each refusal in the API's words (a kind without a case fails the type-check); its status comes from statuses.ts. */
function emailDomainsProblem(error: EmailDomainsRefusal, clinic: Clinic): Problem {
  switch (error.kind) {
    case "invalid_domain":
      return problem("invalid_domain", {
        title: "Check the domains",
        message: `domains: “${error.domain}” ${error.message}`,
        fields: { domains: `“${error.domain}” ${error.message}` },
      });
    case "too_many_domains":
      return problem("too_many_domains", { title: "Too many domains", message: `domains takes at most ${MAX_EMAIL_DOMAINS} domains` });
    case "domain_locked_elsewhere":
      return problem("domain_locked_elsewhere", {
        title: "Domain locked by another clinic",
        message: `${error.domain} is locked by ${error.clinicName}. Send "reassign": true to move it to ${clinic.subdomain}.`,
      });
  }
}

/** Operator API for a clinic's email-domain lock (main site, operator token: checked by the operator API hook). */
export function registerEmailDomainsApi(api: FastifyInstance, ctx: WebContext): void {
  api.get("/api/v1/clinics/:subdomain/email-domains", async (request, reply) => {
    return reply.send({ domains: await listClinicEmailDomains(ctx.db, operatorTarget(request).id) });
  });

  api.put("/api/v1/clinics/:subdomain/email-domains", async (request, reply) => {
    const clinic = operatorTarget(request);
    const input = PutBody.safeParse(request.body);
    if (!input.success) return sendProblem(request, reply, invalidInput(input.error));
    const saved = await setClinicEmailDomains(ctx.db, clinic, input.data, { actor: "operator", ip: clientIp(request) }, ctx.clock());
    if (!saved.ok) return sendProblem(request, reply, emailDomainsProblem(saved.error, clinic));
    return reply.send({ domains: saved.value });
  });
}
