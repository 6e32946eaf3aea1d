/** The demo IdP's signing key, generated on first start (development only). */
export interface DemoIdpKeyTable {
  id: string;
  private_key_pem: string;
  certificate_pem: string;
  created_at: string;
}
