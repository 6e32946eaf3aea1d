import { normalizeIP } from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { sendProblem, tooManySignInsFromAddress, tooManySignInsToClinic, type Problem } from "./problems.js";

const ONE_MINUTE_MS = 60_000;

/**
 * The ACS's own limits, checked before the body is read: every post costs a full signature check. Per client
 * address first (a post refused there does not use up the clinic's allowance), then per clinic, whatever the address.
 */
export function limitAcsPosts(
  app: FastifyInstance,
  limits: { perIpPerMinute: number; perClinicPerMinute: number },
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | void> {
  const checks: [ReturnType<FastifyInstance["createRateLimit"]>, Problem][] = [
    [
      app.createRateLimit({
        max: limits.perIpPerMinute,
        timeWindow: ONE_MINUTE_MS,
        // request.ip is the address the trusted-proxy setting arrives at; an IPv6 client is counted by its /64.
        keyGenerator: (request) => `acs-address:${normalizeIP(request.ip)}`,
      }),
      tooManySignInsFromAddress,
    ],
    [
      app.createRateLimit({
        max: limits.perClinicPerMinute,
        timeWindow: ONE_MINUTE_MS,
        keyGenerator: (request) => `acs-clinic:${request.clinic?.id ?? ""}`,
      }),
      tooManySignInsToClinic,
    ],
  ];
  return async (request, reply) => {
    // The main site has no ACS: the route answers 404 there.
    if (!request.clinic) return;
    for (const [check, refusal] of checks) {
      const counted = await check(request);
      if (!counted.isAllowed && counted.isExceeded) {
        return sendProblem(request, reply.header("retry-after", String(Math.max(1, counted.ttlInSeconds))), refusal);
      }
    }
  };
}
