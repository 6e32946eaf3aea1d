import type { Clinic } from "../clinics/clinic.js";
import type { Db } from "../db/open.js";
import type { ClinicNotification } from "./notification.js";
import { recordNotification } from "./notification.queries.js";

/** The one way anything tells a clinic's admins about their clinic. */
export interface Notifier {
  notify(db: Db, clinic: Clinic, notification: ClinicNotification, now: Date): Promise<void>;
}

export interface NotificationLog {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * Shows the notice to the clinic's admins on the dashboard and the Single sign-on page, and writes one log line
 * naming its kind and clinic: never the people, reasons or values in it.
 */
export class DashboardNotifier implements Notifier {
  constructor(private readonly log: NotificationLog) {}

  async notify(db: Db, clinic: Clinic, notification: ClinicNotification, now: Date): Promise<void> {
    await this.record(db, clinic, notification, now);
  }

  /** True when the notice is new, false when an open notice already says it. */
  async record(db: Db, clinic: Clinic, notification: ClinicNotification, now: Date): Promise<boolean> {
    const added = await recordNotification(db, clinic.id, notification, now);
    if (added) this.log.info(`notification ${notification.kind} for clinic ${clinic.subdomain}`);
    return added;
  }
}

/**
 * The dashboard notice first; then, for a new notice only, the email, sent in the background: whoever reported
 * (a refused sign-in, a page) never waits for a mail server, and a mail server that fails is logged, not fatal.
 */
export class DashboardAndEmailNotifier implements Notifier {
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly dashboard: DashboardNotifier,
    private readonly email: Notifier,
    private readonly log: NotificationLog,
  ) {}

  async notify(db: Db, clinic: Clinic, notification: ClinicNotification, now: Date): Promise<void> {
    if (!(await this.dashboard.record(db, clinic, notification, now))) return;
    const sent = this.email
      .notify(db, clinic, notification, now)
      .catch((error: unknown) => {
        const why = error instanceof Error ? error.message : String(error);
        this.log.warn(`notification ${notification.kind} for clinic ${clinic.subdomain} could not be emailed: ${why}`);
      })
      .finally(() => this.sending.delete(sent));
    this.sending.add(sent);
  }

  /** Resolves once every email started so far has been sent or has failed (at shutdown, and in tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.sending]);
  }
}
