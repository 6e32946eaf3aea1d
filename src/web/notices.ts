import type { FastifyReply, FastifyRequest } from "fastify";
import { keepFlash, takeFlash } from "../sessions/flash.js";
import type { WebContext } from "./context.js";
import { seeOther } from "./statuses.js";

/** What a page announces after a redirect: a code and the values it names, turned into words by the page's route. */
export type Notice =
  | { page: "users"; done: "removed" | "restored" | "admin" | "provider" | "unchanged"; email: string }
  | { page: "sso"; flag: string; on: boolean }
  | { page: "sso"; said: string; error?: boolean };

/** Keeps the notice for the next page this signed-in person renders. */
export async function keepNotice(ctx: WebContext, request: FastifyRequest, notice: Notice): Promise<void> {
  if (request.auth) await keepFlash(ctx.db, request.auth.session.id, JSON.stringify(notice), ctx.clock());
}

/** Back to the Single sign-on page, which says `said` once: as a notice, or as an error when `error`. */
export async function backToSsoSettings(
  ctx: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
  said: string,
  error = false,
): Promise<FastifyReply> {
  await keepNotice(ctx, request, { page: "sso", said, error });
  return seeOther(reply, "/settings/sso");
}

/** The waiting notice for this page, consumed; a notice kept for another page is dropped, not shown there. */
export async function takeNotice<P extends Notice["page"]>(
  ctx: WebContext,
  request: FastifyRequest,
  page: P,
): Promise<Extract<Notice, { page: P }> | null> {
  if (!request.auth) return null;
  const stored = await takeFlash(ctx.db, request.auth.session.id);
  const notice = stored === null ? null : (JSON.parse(stored) as Notice);
  return notice?.page === page ? (notice as Extract<Notice, { page: P }>) : null;
}
