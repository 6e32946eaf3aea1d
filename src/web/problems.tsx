import { STATUS_CODES } from "node:http";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { ZodError } from "zod";
import { isDatabaseUnavailable } from "../db/errors.js";
import { fieldMessages } from "../field-messages.js";
import { VerifierBusyError } from "../sso/saml/response-verifier.js";
import { ErrorPage } from "./pages/error.js";
import { renderPage, sendPage } from "./render.js";
import { REQUEST_ID_HEADER } from "./request-id.js";
import { statusOf, type StatusCode } from "./statuses.js";

/** A refusal as the API client or the person in front of the page will see it; its status comes from its code. */
export interface Problem {
  /** Stable machine-readable code, and the key of its HTTP status in statuses.ts. */
  code: StatusCode;
  title: string;
  message: string;
  /** Field-by-field messages for invalid input. */
  fields?: Record<string, string> | undefined;
  next?: { href: string; label: string } | undefined;
  /** For a temporary refusal: when to try again, sent as Retry-After. */
  retryAfterSeconds?: number | undefined;
  /** On the SCIM endpoint: the RFC 7644 scimType (invalidFilter, uniqueness…), when one applies. */
  scimType?: string | undefined;
}

/** A refusal; it is answered with the status its code has in statuses.ts. */
export function problem(code: StatusCode, text: Omit<Problem, "code">): Problem {
  return { ...text, code };
}

function wantsJson(request: FastifyRequest): boolean {
  return isApiPath(request.url);
}

const SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

function isScimPath(url: string): boolean {
  return url === "/scim" || url.startsWith("/scim/");
}

function isApiPath(url: string): boolean {
  return url.startsWith("/api/");
}

/**
 * The one place error pages and JSON refusals are produced, with the status statuses.ts gives their code. Every
 * page shows a reference: the request's id (in every log line of the request), or the SSO event's with the id beside it.
 */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem, reference?: string): FastifyReply {
  return sendRefusal(request, reply, statusOf(problem.code), problem, reference);
}

function sendRefusal(request: FastifyRequest, reply: FastifyReply, status: number, problem: Problem, reference?: string): FastifyReply {
  // Refusals raised before any hook (a bad URL) carry the id too.
  reply.header(REQUEST_ID_HEADER, request.id);
  if (problem.retryAfterSeconds !== undefined) reply.header("retry-after", String(problem.retryAfterSeconds));
  // An IdP reads SCIM's own error format (RFC 7644 §3.12), whatever refused the request.
  if (isScimPath(request.url)) {
    const scimType = problem.scimType ?? (problem.code === "malformed_body" ? "invalidSyntax" : undefined);
    return reply
      .status(status)
      .type("application/scim+json; charset=utf-8")
      .send({ schemas: [SCIM_ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail: problem.message });
  }
  if (wantsJson(request)) {
    return reply.status(status).send({
      error: problem.code,
      message: problem.message,
      ...(problem.fields ? { fields: problem.fields } : {}),
      // API clients read the id from the header; a fault's answer also names it in the body, as it always has.
      ...(reference || status >= 500 ? { reference: reference ?? request.id } : {}),
    });
  }
  return sendPage(
    reply,
    <ErrorPage
      title={problem.title}
      message={problem.message}
      reference={reference ?? request.id}
      requestId={reference && reference !== request.id ? request.id : undefined}
      next={problem.next}
      brand={request.clinic?.name}
    />,
    status,
  );
}

export function invalidInput(error: ZodError): Problem {
  const fields = fieldMessages(error);
  const summary = Object.entries(fields)
    .map(([field, message]) => `${field} ${message}`)
    .join("; ");
  return problem("invalid_input", { title: "Please check the form", message: summary, fields });
}

export const notFound: Problem = problem("not_found", {
  title: "Page not found",
  message: "There is nothing at this address. Check the link, or start again from the sign-in page.",
  next: { href: "/sign-in", label: "Go to sign-in" },
});

/** The ACS refused a post before reading it: too many from one network address this minute. */
export const tooManySignInsFromAddress: Problem = problem("too_many_sign_ins_from_address", {
  title: "Too many sign-ins",
  message: "Too many sign-ins have come from your network in the last minute. Wait a minute and sign in again.",
  next: { href: "/sign-in", label: "Back to sign-in" },
});

/** The ACS refused a post before reading it: the clinic as a whole has had too many this minute. */
export const tooManySignInsToClinic: Problem = problem("too_many_sign_ins_to_clinic", {
  title: "Sign-in is busy",
  message: "Your clinic has had more sign-ins in the last minute than we can take at once. Wait a minute and sign in again.",
  next: { href: "/sign-in", label: "Back to sign-in" },
});

/**
 * Errors the router raises before any route or hook runs (a path that is not valid percent-encoding, a path
 * segment over the router's limit). They get the same pages; the hooks that add security headers have not run.
 */
export function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header("content-security-policy", "default-src 'self'; frame-ancestors 'none'").header("x-content-type-options", "nosniff");
  handleError(error, request, reply);
}

/**
 * The raw HTTP answer to a request Node could not parse at all (request line and headers over 16 KiB, a
 * malformed request line): there is no request object, so the page is written to the socket as it is.
 */
export function clientErrorResponse(error: { code?: string; rawPacket?: unknown }): string {
  const refused: Problem =
    error.code === "HPE_HEADER_OVERFLOW"
      ? problem("request_too_large", {
          title: "This address is too long",
          message:
            "The address or the request's headers are longer than this site accepts. Check the link, or start again from the sign-in page.",
          next: { href: "/sign-in", label: "Go to sign-in" },
        })
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? problem("request_timeout", {
            title: "The request took too long",
            message: "The request did not arrive in time. Please try again.",
          })
        : problem("malformed_request", { title: "Request refused", message: "The request could not be understood." });
  // The start of the raw request tells an API call from a page, as the URL does for every other error.
  const requestLine = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.subarray(0, 64).toString("latin1") : "";
  const api = isApiPath(requestLine.replace(/^[A-Z]+ /, ""));
  const body = api
    ? JSON.stringify({ error: refused.code, message: refused.message })
    : renderPage(<ErrorPage title={refused.title} message={refused.message} next={refused.next} />);
  const status = statusOf(refused.code);
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    `content-type: ${api ? "application/json; charset=utf-8" : "text/html; charset=utf-8"}`,
    `content-length: ${Buffer.byteLength(body)}`,
    "cache-control: no-store",
    "content-security-policy: default-src 'self'; frame-ancestors 'none'",
    "x-content-type-options: nosniff",
    // The connection cannot be reused: what follows on it is the rest of a request that was not understood.
    "connection: close",
  ];
  return `${headers.join("\r\n")}\r\n\r\n${body}`;
}

/** A database restarting is back within seconds; a client that waits this long usually finds it up again. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

const databaseUnavailable: Problem = problem("database_unavailable", {
  title: "We are having a short outage",
  message:
    "We could not reach our database, so this request was not completed. Please wait a few seconds and try again; if you were signing in, start again from the sign-in page.",
  next: { href: "/sign-in", label: "Back to sign-in" },
  retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
});

/** Maps framework and unexpected errors; unexpected ones are logged under the request id the page shows. */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const known = knownProblem(error);
  if (known) return sendProblem(request, reply, known);
  // Any other refusal the framework raises keeps the status the framework gave it.
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return sendRefusal(
      request,
      reply,
      error.statusCode,
      problem("bad_request", { title: "Request refused", message: "The request could not be understood." }),
    );
  }
  if (isDatabaseUnavailable(error)) {
    // An outage, not a bug: one warning per refused request, with what the driver said (never the query or its values).
    request.log.warn(
      { reference: request.id, err: { type: error.name, code: error.code, message: error.message } },
      "database unavailable",
    );
    return sendProblem(request, reply, databaseUnavailable);
  }
  request.log.error(
    // No stack trace, even in the log: the request id (the page's reference) and the error's type and message find the fault.
    { reference: request.id, err: { type: error.name, code: error.code, message: error.message } },
    "unexpected error",
  );
  return sendProblem(
    request,
    reply,
    problem("internal_error", {
      title: "Something went wrong",
      message: "We could not finish this request. Nothing was changed. Please try again in a moment.",
    }),
  );
}

function knownProblem(error: FastifyError): Problem | null {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return problem("body_too_large", { title: "Too much data", message: "The request body is larger than this endpoint accepts." });
    // Upload forms (uploads.ts): a browser using the form never meets these; nothing was saved.
    case "FST_FILES_LIMIT":
      return problem("upload_too_many_parts", {
        title: "One file at a time",
        message: "This form takes one file. Choose one file, then try again. Nothing was saved.",
      });
    case "FST_PARTS_LIMIT":
    case "FST_FIELDS_LIMIT":
      return problem("upload_too_many_parts", {
        title: "Too much in one form",
        message: "The form sent more fields than it has. Reload the page and try again. Nothing was saved.",
      });
    case "upload_refused":
      return problem("upload_refused", {
        title: "Too much data",
        message: "A field of the form is longer than it accepts, or was sent twice. Reload the page and try again. Nothing was saved.",
      });
    case "upload_malformed":
    case "FST_PROTO_VIOLATION":
    case "FST_MP_PREMATURE_CLOSE":
    case "FST_INVALID_MULTIPART_CONTENT_TYPE":
      return problem("upload_malformed", {
        title: "The upload could not be read",
        message: "The form arrived incomplete or garbled. Reload the page and try again. Nothing was saved.",
      });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return problem("unsupported_media_type", { title: "Unsupported format", message: "Send application/json (API) or a form (pages)." });
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return problem("malformed_body", { title: "Malformed request", message: "The request body is not valid JSON." });
    // The router's own errors would otherwise echo the path back in Fastify's JSON.
    case "FST_ERR_BAD_URL":
      return problem("bad_url", {
        title: "This address is not valid",
        message: "The address contains characters that are not allowed. Check the link, or start again from the sign-in page.",
        next: { href: "/sign-in", label: "Go to sign-in" },
      });
    case "FST_ERR_MAX_PARAM_LENGTH":
      return problem("url_too_long", {
        title: "This address is too long",
        message: "The address is longer than this site accepts. Check the link, or start again from the sign-in page.",
        next: { href: "/sign-in", label: "Go to sign-in" },
      });
    case "SAML_VERIFIER_BUSY":
      return problem("saml_verifier_busy", {
        title: "Sign-in is busy right now",
        message:
          "Too many people are signing in at this moment. Nothing was recorded. Go back to your sign-in page and try again in a few seconds.",
        next: { href: "/sign-in", label: "Back to sign-in" },
        // Thrown before the attempt was read or recorded: the same response may be posted again shortly.
        retryAfterSeconds: error instanceof VerifierBusyError ? error.retryAfterSeconds : 1,
      });
    case "FST_CSRF_INVALID_TOKEN":
    case "FST_CSRF_MISSING_SECRET":
      return problem("form_expired", {
        title: "This form has expired",
        message: "For your security the form could not be accepted. Go back, reload the page and try again.",
        next: { href: "/sign-in", label: "Back to sign-in" },
      });
  }
  if (error.statusCode === 429) {
    return problem("rate_limited", {
      title: "Too many attempts",
      message: "Too many attempts from your network. Wait a minute and try again.",
    });
  }
  return null;
}
