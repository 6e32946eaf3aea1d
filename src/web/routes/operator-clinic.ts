import type { FastifyReply, FastifyRequest } from "fastify";
import type { Clinic } from "../../clinics/clinic.js";
import { findClinicBySubdomain } from "../../clinics/clinic.queries.js";
import type { Db } from "../../db/open.js";
import { notFound, problem, sendProblem } from "../problems.js";

const noSuchClinic = problem("clinic_not_found", { title: notFound.title, message: "No clinic has that subdomain.", next: notFound.next });

/**
 * The operator API's hook for every path with a :subdomain: finds that clinic once, or answers 404 before the
 * route runs. The route then reads it with operatorTarget.
 */
export async function resolveOperatorTarget(db: Db, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const { subdomain } = request.params as { subdomain?: unknown };
  if (typeof subdomain !== "string") return undefined;
  request.operatorTarget = await findClinicBySubdomain(db, subdomain.toLowerCase());
  return request.operatorTarget ? undefined : sendProblem(request, reply, noSuchClinic);
}

/** The clinic an operator API route's :subdomain names, resolved by resolveOperatorTarget before the route runs. */
export function operatorTarget(request: FastifyRequest): Clinic {
  if (!request.operatorTarget) throw new Error("operator API route without a resolved :subdomain");
  return request.operatorTarget;
}
