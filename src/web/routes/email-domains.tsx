import type { FastifyInstance } from "fastify";
import { listClinicEmailDomains, MAX_EMAIL_DOMAINS, setClinicEmailDomains, type EmailDomainsRefusal } from "../../clinics/email-domains.js";
import type { WebContext } from "../context.js";
import { clientIp, csrfToken, formFields } from "../forms.js";
import { forClinicAdmin } from "../guards.js";
import { EmailDomainsPage, EmailDomainsSection } from "../pages/email-domains.js";
import { sendPage } from "../render.js";
import { seeOther, statusOf } from "../statuses.js";

/** The Email domains section of /settings/sso. */
export async function emailDomainsSection(ctx: WebContext, clinicId: string) {
  return <EmailDomainsSection domains={await listClinicEmailDomains(ctx.db, clinicId)} />;
}

/** What the admin reads for each refusal; the other clinic is never named to them. */
export function emailDomainsRefusalSentence(error: EmailDomainsRefusal): string {
  switch (error.kind) {
    case "invalid_domain":
      return `“${error.domain}” ${error.message}.`;
    case "too_many_domains":
      return `A clinic can lock at most ${MAX_EMAIL_DOMAINS} domains.`;
    case "domain_locked_elsewhere":
      return `${error.domain} is already locked by another organisation on this service. If it is yours, contact support to move it to your clinic.`;
  }
}

/** /settings/sso/email-domains on a clinic host, for its admins. */
export function registerEmailDomainRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get(
    "/settings/sso/email-domains",
    forClinicAdmin(async (_request, reply, admin) => {
      const value = (await listClinicEmailDomains(ctx.db, admin.clinic.id)).join("\n");
      return sendPage(
        reply,
        <EmailDomainsPage clinicName={admin.clinic.name} userName={admin.auth.user.name} csrfToken={csrfToken(reply)} value={value} />,
      );
    }),
  );

  app.post(
    "/settings/sso/email-domains",
    { preHandler: app.csrfProtection },
    forClinicAdmin(async (request, reply, admin) => {
      const typed = (formFields(request).domains ?? "").slice(0, 10_000);
      const domains = typed.split(/[\s,;]+/).filter((d) => d !== "");
      const saved = await setClinicEmailDomains(
        ctx.db,
        admin.clinic,
        { domains, reassign: false },
        { actor: admin.auth.user.id, ip: clientIp(request) },
        ctx.clock(),
      );
      if (!saved.ok) {
        const page = (
          <EmailDomainsPage
            clinicName={admin.clinic.name}
            userName={admin.auth.user.name}
            csrfToken={csrfToken(reply)}
            value={typed}
            error={emailDomainsRefusalSentence(saved.error)}
          />
        );
        return sendPage(reply, page, statusOf(saved.error.kind));
      }
      return seeOther(reply, "/settings/sso");
    }),
  );
}
