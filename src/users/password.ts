import { Algorithm, hash, verify } from "@node-rs/argon2";

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

// Verified against when the account has no password, so an unknown email costs as much time as a wrong password.
const DECOY_HASH = "$argon2id$v=19$m=19456,t=2,p=1$qRRUIgWYfcJOqrb5KnweHw$3G8GrZNdKaBNIB1f//BvpUenUw/AKzd2cs+kd5c9cpY";

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/** Checks a password; with a null hash it still spends the same effort and answers false. */
export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  const matches = await verify(passwordHash ?? DECOY_HASH, password).catch(() => false);
  return passwordHash !== null && matches;
}
