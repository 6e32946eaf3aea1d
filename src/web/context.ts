import type { Clinic } from "../clinics/clinic.js";
import type { SamlConnection } from "../sso/saml/connection.js";
import type { Config } from "../config.js";
import type { Db } from "../db/open.js";
import type { Notifier } from "../notifications/notifier.js";
import type { ResponseVerifier } from "../sso/saml/response-verifier.js";
import type { SessionPolicy, ValidSession } from "../sessions/session.js";
import type { InvitationMailer } from "../users/invitation-mailer.js";
import type { Metrics } from "./metrics.js";

/** What every route needs, built once in app.ts and handed down. */
export interface WebContext {
  config: Config;
  db: Db;
  sessionPolicy: SessionPolicy;
  clock: () => Date;
  /** Delivers invitation links; sending email is behind this one interface. */
  invitationMailer: InvitationMailer;
  /** Tells a clinic's admins (dashboard and log; email too when SMTP is configured). */
  notifier: Notifier;
  /** Verifies posted SAMLResponses in worker threads (or on the main thread with SAML_WORKERS=0). */
  samlVerifier: ResponseVerifier;
  /** This app's Prometheus metrics (sign-in outcomes are counted by the routes, from the use cases' results). */
  metrics: Metrics;
}

declare module "fastify" {
  interface FastifyInstance {
    /** The daily SSO checks (metadata URLs re-fetched, certificate expiry warnings), for main.ts's timer. */
    runSsoUpkeep(): Promise<void>;
    /** Deletes expired sign-in requests, assertion IDs and old SSO events, for main.ts's timer. */
    pruneSignInRecords(): Promise<void>;
  }

  interface FastifyRequest {
    /** The clinic whose host this request is for; null on the main site. Set once by the site hook. */
    clinic: Clinic | null;
    /** That clinic's SAML connection as the same hook found it (one query with the clinic); null without one. */
    samlConnection: SamlConnection | null;
    /** The signed-in person for this host, or null. */
    auth: ValidSession | null;
    /** The clinic an operator API path's :subdomain names; set once by the operator API hook, null elsewhere. */
    operatorTarget: Clinic | null;
  }
}
