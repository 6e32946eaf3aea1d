export interface ClinicTable {
  id: string;
  subdomain: string;
  name: string;
  seats: number;
  created_at: string;
}
