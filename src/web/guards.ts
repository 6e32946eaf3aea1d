import type { FastifyReply, FastifyRequest } from "fastify";
import type { Clinic } from "../clinics/clinic.js";
import type { ValidSession } from "../sessions/session.js";
import { problem, notFound, sendProblem } from "./problems.js";
import { seeOther } from "./statuses.js";

// What a settings-only session opens: the clinic settings (Manage Users, Single sign-on), who am I, and signing out.
const SETTINGS_SCOPE_PATHS = /^\/(?:settings(?:\/[^]*)?|sign-out|sign-in|api\/v1\/session)$/;

/**
 * The one gate for limited sessions, run for every request once the session is known: a settings-only session
 * (break-glass access) is refused everywhere but the settings pages, with a page that says why. False after answering.
 */
export async function allowedBySessionScope(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  if (request.auth?.session.scope !== "settings") return true;
  const path = decodedPath(request.url);
  // Dot segments are refused outright: "/settings/../dashboard" must not pass as a settings path.
  if (path !== null && !/(?:^|\/)\.\.?(?:\/|$)/.test(path) && SETTINGS_SCOPE_PATHS.test(path)) return true;
  await sendProblem(request, reply, {
    code: "settings_only_session",
    title: "This session opens only the clinic settings",
    message:
      "You signed in without your clinic's single sign-on (with a recovery code, or from the main site), so this session opens only Manage Users and the Single sign-on settings, and ends within the hour. Sign out and sign in with single sign-on to use everything else.",
    next: { href: "/settings/sso", label: "Go to the Single sign-on settings" },
  });
  return false;
}

function decodedPath(url: string): string | null {
  try {
    return decodeURIComponent(url.split("?")[0] ?? "");
  } catch {
    return null;
  }
}

/** An active admin of the clinic whose host the request is for. */
export interface ClinicAdmin {
  clinic: Clinic;
  auth: ValidSession;
}

/**
 * The signed-in active admin of this clinic host, or null after answering: a redirect to sign-in for
 * anonymous visitors, a 403 page for members who are not admins.
 */
async function requireClinicAdmin(request: FastifyRequest, reply: FastifyReply): Promise<ClinicAdmin | null> {
  const clinic = request.clinic;
  if (!clinic) {
    await sendProblem(request, reply, notFound);
    return null;
  }
  if (!request.auth) {
    await seeOther(reply, `/sign-in?returnTo=${encodeURIComponent(request.url)}`);
    return null;
  }
  const membership = request.auth.membership;
  if (membership?.clinicId !== clinic.id || membership.role !== "admin" || membership.status !== "active") {
    await sendProblem(
      request,
      reply,
      problem("admins_only", {
        title: "Only clinic admins can open this page",
        message: "This page is for your clinic's admins. Ask one of them if you need something changed.",
        next: { href: "/dashboard", label: "Back to your dashboard" },
      }),
    );
    return null;
  }
  return { clinic, auth: request.auth };
}

/** A handler for this clinic's active admins only; anyone else is answered as requireClinicAdmin answers them. */
export function forClinicAdmin(
  handler: (request: FastifyRequest, reply: FastifyReply, admin: ClinicAdmin) => Promise<FastifyReply>,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  return async (request, reply) => {
    const admin = await requireClinicAdmin(request, reply);
    return admin ? handler(request, reply, admin) : reply;
  };
}

/** Someone signed in on the clinic host the request is for. */
export interface SignedIn {
  clinic: Clinic;
  auth: ValidSession;
}

/**
 * A handler for someone signed in on a clinic host: the main site has no such page (404), and an anonymous visitor
 * is sent to sign in, then on to `returnTo`.
 */
export function forSignedIn(
  returnTo: string,
  handler: (request: FastifyRequest, reply: FastifyReply, signedIn: SignedIn) => Promise<FastifyReply>,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  return async (request, reply) => {
    const clinic = request.clinic;
    if (!clinic) return sendProblem(request, reply, notFound);
    if (!request.auth) return seeOther(reply, `/sign-in?returnTo=${encodeURIComponent(returnTo)}`);
    return handler(request, reply, { clinic, auth: request.auth });
  };
}
