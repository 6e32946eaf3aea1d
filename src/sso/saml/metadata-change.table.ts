/** A difference between a connection and its re-fetched metadata URL, waiting for an admin's decision. */
export interface SamlMetadataChangeTable {
  id: string;
  clinic_id: string;
  metadata_url: string;
  /** JSON IdP settings (entity ID, SSO URL, binding, certificate PEMs) as the connection had them. */
  before_settings: string;
  /** JSON IdP settings as the metadata now says. */
  after_settings: string;
  status: "pending" | "approved" | "rejected" | "superseded";
  found_at: string;
  decided_at: string | null;
  decided_by: string | null;
}

/** The last re-fetch of a clinic's metadata URL. */
export interface SamlMetadataCheckTable {
  clinic_id: string;
  checked_at: string;
  outcome: "unchanged" | "changed" | "failed";
  /** Why the fetch or the document failed, in words; null otherwise. */
  problem: string | null;
}

/** Certificate expiry warnings already given: one per certificate and threshold. */
export interface SamlCertificateWarningTable {
  clinic_id: string;
  fingerprint_sha256: string;
  threshold_days: number;
  warned_at: string;
}
