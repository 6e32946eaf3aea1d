import nodemailer, { type Transporter } from "nodemailer";
import type { Clinic } from "../clinics/clinic.js";
import type { Db } from "../db/open.js";
import { listMembersWithRooms } from "../users/member-list.queries.js";
import { describeNotification, type ClinicNotification } from "./notification.js";
import type { Notifier } from "./notifier.js";

export interface EmailNotifierOptions {
  transport: Transporter;
  /** The sender, e.g. "ClinicRooms <no-reply@clinics.example.com>". */
  from: string;
  /** The clinic's own origin (https://acme.BASE), so the email's link opens the page on the right host. */
  clinicOrigin(clinic: Clinic): string;
}

/** An SMTP transport from a URL such as smtps://user:pass@smtp.example.com:465 (nodemailer's own format). */
export function createSmtpTransport(smtpUrl: string): Transporter {
  return nodemailer.createTransport(smtpUrl);
}

/** Emails the notice to each active admin of the clinic (one message each, so no admin sees the others' addresses). */
export class EmailNotifier implements Notifier {
  constructor(private readonly options: EmailNotifierOptions) {}

  async notify(db: Db, clinic: Clinic, notification: ClinicNotification, _now: Date): Promise<void> {
    // A recovery code's user is not told of their own use: the notice is for every other admin.
    const skip = notification.kind === "break_glass_used" ? notification.userId : null;
    const admins = (await listMembersWithRooms(db, clinic.id)).filter(
      (m) => m.membership.role === "admin" && m.membership.status === "active" && m.user.id !== skip,
    );
    const text = describeNotification(notification);
    const link = `${this.options.clinicOrigin(clinic)}${text.action.href}`;
    for (const admin of admins) {
      await this.options.transport.sendMail({
        from: this.options.from,
        to: admin.user.email,
        subject: `${clinic.name}: ${text.title}`,
        text: `${text.message}\n\n${text.action.label}: ${link}\n`,
      });
    }
  }
}
