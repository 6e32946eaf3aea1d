export interface RoomTable {
  id: string;
  /** Lower case, unique across the platform. */
  name: string;
  /** Unique: one room per user. */
  user_id: string;
  created_at: string;
}
