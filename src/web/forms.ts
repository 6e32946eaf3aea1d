import type { FastifyReply, FastifyRequest } from "fastify";
import type { Clinic } from "../clinics/clinic.js";

/** The token every state-changing form carries; checked by the csrfProtection preHandler. */
export function csrfToken(reply: FastifyReply): string {
  return reply.generateCsrf();
}

/** The form body as a plain record of strings (anything else is dropped). */
export function formFields(request: FastifyRequest): Record<string, string> {
  const body = request.body;
  const fields: Record<string, string> = {};
  if (body && typeof body === "object") {
    for (const [key, value] of Object.entries(body)) if (typeof value === "string") fields[key] = value;
  }
  return fields;
}

export function clientIp(request: FastifyRequest): string {
  return request.ip;
}

export type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | void>;

/** A clinic host's handler, given the clinic the request's host resolved to. */
export type ClinicHandler = (request: FastifyRequest, reply: FastifyReply, clinic: Clinic) => Promise<FastifyReply | void>;

/** One path served differently on the main site and on clinic hosts; a site without a handler gets a 404. */
export function bySite(handlers: { main?: Handler; clinic?: ClinicHandler }, notFound: Handler): Handler {
  return (request, reply) => {
    const clinic = request.clinic;
    if (clinic) return handlers.clinic ? handlers.clinic(request, reply, clinic) : notFound(request, reply);
    return (handlers.main ?? notFound)(request, reply);
  };
}
