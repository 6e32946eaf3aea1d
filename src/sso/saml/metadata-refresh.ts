import { recordAuditEvent, type Actor } from "../../audit/audit.js";
import type { Clinic } from "../../clinics/clinic.js";
import type { Db } from "../../db/open.js";
import { nowIso } from "../../ids.js";
import { err, ok, type Result } from "../../result.js";
import { isEnforcementPremature } from "./change-flags.js";
import { checkSsoUrl } from "./configure-connection.js";
import { findSamlConnection, saveSamlConnection } from "./connection.queries.js";
import { fetchIdpMetadata, type FetchPolicy } from "./fetch-metadata.js";
import { parseIdpMetadata } from "./idp-metadata.js";
import {
  decideMetadataChange,
  closePendingMetadataChanges,
  findLatestRejectedMetadataChange,
  findPendingMetadataChange,
  recordMetadataCheck,
  storePendingMetadataChange,
  type MetadataChange,
} from "./metadata-change.queries.js";
import { compareIdpSettings, describeDifference } from "./metadata-diff.js";

/** What a re-fetch of the metadata URL found. Nothing about the connection changes in any case. */
export type MetadataRefresh =
  | { kind: "not_by_url" }
  | { kind: "unchanged" }
  | { kind: "failed"; problem: string }
  /** The same difference an admin already rejected: not raised again until the metadata says something else. */
  | { kind: "rejected_before"; differences: string[] }
  /** `isNew`: this difference was not already waiting (so the admins are told once, not daily). */
  | { kind: "change_pending"; change: MetadataChange; differences: string[]; isNew: boolean };

/** The metadata URL a connection was configured from, or null (configured by hand or from pasted XML). */
export function metadataUrlOf(source: string): string | null {
  return /^https?:\/\//.test(source) ? source : null;
}

/**
 * Re-fetches the connection's metadata URL and compares it with the connection. A difference is stored as a
 * pending change for an admin to approve; nothing is applied here. The fetch holds no transaction and no lock
 * (it is bounded by the fetch rules' time limit), so a slow or hostile metadata URL never delays a sign-in.
 */
export async function refreshIdpMetadata(db: Db, clinic: Clinic, policy: FetchPolicy, now: Date): Promise<MetadataRefresh> {
  const connection = await findSamlConnection(db, clinic.id);
  const url = connection ? metadataUrlOf(connection.source) : null;
  if (!connection || !url) return { kind: "not_by_url" };
  const fetched = await fetchIdpMetadata(url, policy);
  const parsed = fetched.ok ? parseIdpMetadata(fetched.value) : fetched;
  // The SSO URL rule of a configuration applies to what the metadata says now, too.
  const settings = parsed.ok ? checkSsoUrl(parsed.value.idpSsoUrl, policy) : parsed;
  if (!parsed.ok || !settings.ok) {
    const problem = !parsed.ok ? parsed.error : `the IdP SSO URL in the metadata ${settings.ok ? "" : settings.error}`;
    await recordMetadataCheck(db, clinic.id, { checkedAt: nowIso(now), outcome: "failed", problem });
    return { kind: "failed", problem };
  }
  const after = { ...parsed.value, idpSsoUrl: settings.value };
  const difference = compareIdpSettings(connection, after);
  if (!difference) {
    // The IdP went back to what the connection trusts: a change still waiting describes nothing real any more.
    await closePendingMetadataChanges(db, clinic.id, now);
    await recordMetadataCheck(db, clinic.id, { checkedAt: nowIso(now), outcome: "unchanged", problem: null });
    return { kind: "unchanged" };
  }
  await recordMetadataCheck(db, clinic.id, { checkedAt: nowIso(now), outcome: "changed", problem: null });
  const differences = describeDifference(difference);
  const rejected = await findLatestRejectedMetadataChange(db, clinic.id);
  if (rejected && compareIdpSettings(rejected.after, after) === null && compareIdpSettings(rejected.before, connection) === null) {
    return { kind: "rejected_before", differences };
  }
  const waiting = await findPendingMetadataChange(db, clinic.id);
  if (waiting && compareIdpSettings(waiting.after, after) === null && compareIdpSettings(waiting.before, connection) === null) {
    return { kind: "change_pending", change: waiting, differences, isNew: false };
  }
  const change = await storePendingMetadataChange(db, clinic.id, { metadataUrl: url, before: connection, after }, now);
  return { kind: "change_pending", change, differences, isNew: true };
}

export type MetadataDecisionError = "no_such_change" | "connection_changed" | "enforce_before_first_sign_in";

/**
 * Applies a pending change as the admin saw it: only while the connection is still what the change was
 * compared with (else the admin approved a diff that no longer describes it), and not when it would leave an
 * enforced clinic with a connection no sign-in has proved (the configuration rule: isEnforcementPremature).
 */
export async function approveMetadataChange(
  db: Db,
  clinic: Clinic,
  changeId: string,
  by: Actor,
  now: Date,
): Promise<Result<MetadataChange, MetadataDecisionError>> {
  return db.transaction().execute(async (trx) => {
    const change = await findPendingMetadataChange(trx, clinic.id);
    if (!change || change.id !== changeId) return err("no_such_change");
    const connection = await findSamlConnection(trx, clinic.id);
    if (!connection || compareIdpSettings(change.before, connection) !== null) return err("connection_changed");
    if (isEnforcementPremature(connection, {}, change.after)) return err("enforce_before_first_sign_in");
    if (!(await decideMetadataChange(trx, clinic.id, change.id, "approved", by.actor, now))) return err("no_such_change");
    await saveSamlConnection(trx, clinic.id, { ...change.after, preset: connection.preset, source: connection.source, flags: {} }, now);
    await recordAuditEvent(
      trx,
      {
        ...by,
        clinicId: clinic.id,
        action: "sso.saml.metadata_change.approve",
        target: change.metadataUrl,
        outcome: "success",
        detail: { change: change.id, differences: describeDifference(compareIdpSettings(change.before, change.after)!).join("; ") },
      },
      now,
    );
    return ok(change);
  });
}

/** Discards a pending change: the connection stays as it is; the next daily check finds the difference again. */
export async function rejectMetadataChange(
  db: Db,
  clinic: Clinic,
  changeId: string,
  by: Actor,
  now: Date,
): Promise<Result<null, "no_such_change">> {
  return db.transaction().execute(async (trx) => {
    if (!(await decideMetadataChange(trx, clinic.id, changeId, "rejected", by.actor, now))) return err("no_such_change");
    await recordAuditEvent(
      trx,
      { ...by, clinicId: clinic.id, action: "sso.saml.metadata_change.reject", target: changeId, outcome: "success" },
      now,
    );
    return ok(null);
  });
}
