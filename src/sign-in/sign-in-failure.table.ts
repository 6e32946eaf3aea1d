/** One failed password sign-in: what the throttle counts (attempts it refused itself are never written here). */
export interface SignInFailureTable {
  id: string;
  /** The normalised email that was tried, whether or not an account has it. */
  account: string;
  /** The client's address as throttled: IPv4, or the /64 network of an IPv6 address. */
  address: string;
  at: string;
}
