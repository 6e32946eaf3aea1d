import type { Clinic } from "../clinics/clinic.js";
import { claimDueCertificateWarnings } from "../sso/saml/certificate-expiry.js";
import type { SamlConnection } from "../sso/saml/connection.js";
import { listClinicsWithSamlConnection } from "../sso/saml/connection-list.queries.js";
import { refreshIdpMetadata, type MetadataRefresh } from "../sso/saml/metadata-refresh.js";
import type { WebContext } from "./context.js";

type UpkeepContext = Pick<WebContext, "db" | "config" | "notifier" | "clock">;

/** Re-fetches one clinic's metadata URL; a difference found for the first time is told to the clinic's admins. */
export async function refreshMetadataAndNotify(ctx: UpkeepContext, clinic: Clinic): Promise<MetadataRefresh> {
  const now = ctx.clock();
  // http and local metadata URLs only for a local development start, as when the URL was first saved.
  const refreshed = await refreshIdpMetadata(ctx.db, clinic, { allowInsecure: !ctx.config.production }, now);
  if (refreshed.kind === "change_pending" && refreshed.isNew) {
    await ctx.notifier.notify(
      ctx.db,
      clinic,
      {
        kind: "metadata_change_pending",
        changeId: refreshed.change.id,
        metadataUrl: refreshed.change.metadataUrl,
        differences: refreshed.differences,
      },
      now,
    );
  }
  return refreshed;
}

/** Warns the clinic's admins once at 60, 30 and 7 days before each trusted certificate expires. */
export async function warnAboutExpiringCertificates(ctx: UpkeepContext, clinic: Clinic, connection: SamlConnection): Promise<void> {
  const now = ctx.clock();
  for (const due of await claimDueCertificateWarnings(ctx.db, clinic.id, connection, now)) {
    await ctx.notifier.notify(
      ctx.db,
      clinic,
      {
        kind: "certificate_expiring",
        thresholdDays: due.thresholdDays,
        daysLeft: due.daysLeft,
        subject: due.certificate.subject,
        fingerprintSha256: due.certificate.fingerprintSha256,
        notAfter: due.certificate.notAfter,
        successorTrusted: due.successorTrusted,
      },
      now,
    );
  }
}

/**
 * The daily checks of every SSO connection: metadata URLs re-fetched, certificate expiry warned about. One
 * clinic's failure (an outage) is reported and the others are still checked.
 */
export async function runSsoUpkeep(ctx: UpkeepContext, log: { warn(message: string): void }): Promise<void> {
  for (const { clinic, connection } of await listClinicsWithSamlConnection(ctx.db)) {
    try {
      await refreshMetadataAndNotify(ctx, clinic);
      await warnAboutExpiringCertificates(ctx, clinic, connection);
    } catch (error) {
      log.warn(`SSO checks for clinic ${clinic.subdomain} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
