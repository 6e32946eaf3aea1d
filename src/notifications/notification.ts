/** What a clinic's admins are told about, each kind with the facts its message needs and nothing secret. */
export type ClinicNotification =
  | {
      kind: "certificate_expiring";
      /** The warning threshold crossed: 60, 30 or 7 days before expiry. */
      thresholdDays: 60 | 30 | 7;
      daysLeft: number;
      subject: string;
      fingerprintSha256: string;
      notAfter: string;
      /** True when another trusted certificate outlives this one (a rollover is staged). */
      successorTrusted: boolean;
    }
  | {
      kind: "metadata_change_pending";
      changeId: string;
      metadataUrl: string;
      /** One plain line per difference: "Certificate added: CN=… (SHA-256 …)", "SSO URL: a → b". */
      differences: string[];
    }
  | {
      kind: "break_glass_used";
      /** The admin who used a recovery code; the notice goes to every other admin. */
      userId: string;
      email: string;
      name: string;
      /** The reason the admin typed; shown to the other admins, never written to the log. */
      reason: string;
    }
  | {
      kind: "seats_exhausted";
      seats: number;
      /** Who could not be given an account for lack of a seat. */
      email: string;
      /** How they came: their first single sign-on (the default), or the identity provider's SCIM provisioning. */
      source?: "sso" | "scim";
    };

export type NotificationKind = ClinicNotification["kind"];

export interface NotificationText {
  title: string;
  message: string;
  /** Where the admin acts on it. */
  action: { href: string; label: string };
}

/** The words an admin reads on the dashboard, the Single sign-on page and in the email. */
export function describeNotification(n: ClinicNotification): NotificationText {
  switch (n.kind) {
    case "certificate_expiring": {
      const when = n.daysLeft <= 0 ? "has expired" : n.daysLeft === 1 ? "expires tomorrow" : `expires in ${n.daysLeft} days`;
      const next = n.successorTrusted
        ? "Your next certificate is already trusted: make sure your identity provider signs with it before then."
        : "Upload your identity provider's new certificate before then, or nobody can sign in with single sign-on.";
      return {
        title: `Your identity provider's signing certificate ${when}`,
        message: `The certificate ${n.subject} (SHA-256 ${n.fingerprintSha256}) expires on ${n.notAfter.slice(0, 10)}. ${next}`,
        action: { href: "/settings/sso", label: "Open single sign-on settings" },
      };
    }
    case "metadata_change_pending":
      return {
        title: "Your identity provider's metadata changed: approve or reject the change",
        message: `The metadata at ${n.metadataUrl} no longer matches your connection (${n.differences.join("; ")}). Nothing changes until an admin approves it.`,
        action: { href: "/settings/sso#metadata-change", label: "Review the change" },
      };
    case "break_glass_used":
      return {
        title: `${n.name} signed in with a recovery code`,
        message: `${n.name} (${n.email}) used a one-time recovery code to reach the clinic settings without your identity provider. Their reason: "${n.reason}". If this was not expected, remove them in Manage Users.`,
        action: { href: "/settings/users", label: "Open Manage Users" },
      };
    case "seats_exhausted":
      return {
        title: `All ${n.seats} seats are in use`,
        message: `${n.email} ${n.source === "scim" ? "was sent by your identity provider (SCIM)" : "signed in with single sign-on"} but could not be given an account: every seat is taken. Remove someone who has left, or ask us for more seats.`,
        action: { href: "/settings/users", label: "Open Manage Users" },
      };
  }
}

/**
 * Which open notice this one repeats: while a notice with the same key is undismissed, a new one is not added
 * (a full clinic refuses every newcomer, and each refusal must not add a notice or send an email).
 */
export function notificationDedupeKey(n: ClinicNotification): string | null {
  switch (n.kind) {
    case "certificate_expiring":
      return `certificate_expiring:${n.fingerprintSha256}:${n.thresholdDays}`;
    case "metadata_change_pending":
      return `metadata_change_pending:${n.changeId}`;
    case "break_glass_used":
      // Every use of a recovery code is told, however many came before.
      return null;
    case "seats_exhausted":
      return "seats_exhausted";
  }
}
