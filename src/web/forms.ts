import type { FastifyReply, FastifyRequest } from "fastify";

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

/** One path served differently on the main site and on clinic hosts; a site without a handler gets a 404. */
export function bySite(handlers: { main?: Handler; clinic?: Handler }, notFound: Handler): Handler {
  return (request, reply) => {
    const handler = request.clinic ? handlers.clinic : handlers.main;
    return (handler ?? notFound)(request, reply);
  };
}
