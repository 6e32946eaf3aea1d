export interface ClinicEmailDomainTable {
  /** Normalised (NFKC, lower-case, ASCII labels); the primary key: a domain is locked by one clinic at most. */
  domain: string;
  clinic_id: string;
  created_at: string;
}
