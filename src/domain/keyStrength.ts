/**
 * Whether a secret is strong enough to encrypt data at rest (CREDENTIALS_KEY, PAYLOAD_ENCRYPTION_KEY). Keys are
 * 32 random bytes as 64 hex characters or base64, or a passphrase that is hashed into a key; either way the string
 * itself must carry enough randomness. "Enough" is estimated from the characters used (Shannon entropy of the
 * string times its length), which a random 64-hex key (~250 bits) or base64 key (~220 bits) passes easily and a
 * repeated character or pattern, a short word or a keyboard run fails.
 */
export const MIN_KEY_CHARACTERS = 32;
export const MIN_KEY_ENTROPY_BITS = 128;

const KEY_ADVICE = 'use a random 32-byte key (openssl rand -hex 32)';

export function keyStrengthProblem(name: string, key: string): string | undefined {
  if (key.length < MIN_KEY_CHARACTERS) return `${name} has ${key.length} characters: ${KEY_ADVICE}`;
  return guessableProblem(name, key, MIN_KEY_ENTROPY_BITS, KEY_ADVICE);
}

/**
 * Whether a token or signing secret (ADMIN_TOKEN, JWT_SECRET, WEBHOOK_TOKEN) is guessable: one repeated pattern, or
 * too little variety to be random. Their minimum lengths are checked where they are read; this catches the
 * placeholder (`aaaa…`, `changeme…`) that a length check lets through, which an attacker would guess or brute-force
 * offline from one issued JWT.
 */
export const MIN_TOKEN_ENTROPY_BITS = 64;

export function tokenGuessableProblem(name: string, token: string, minBits = MIN_TOKEN_ENTROPY_BITS): string | undefined {
  return guessableProblem(name, token, minBits, 'use a random one (openssl rand -hex 24)');
}

/** The one check behind both: a single repeated pattern, or less estimated randomness than `minBits`. */
function guessableProblem(name: string, value: string, minBits: number, advice: string): string | undefined {
  if (/^(.+?)\1+$/s.test(value)) return `${name} repeats one pattern: ${advice}`;
  const bits = estimatedEntropyBits(value);
  if (bits < minBits) return `${name} is too predictable (about ${Math.floor(bits)} bits): ${advice}`;
  return undefined;
}

/** Length × Shannon entropy per character of the string's own character frequencies. */
export function estimatedEntropyBits(value: string): number {
  const chars = [...value];
  const counts = new Map<string, number>();
  for (const ch of chars) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) {
    const p = n / chars.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * chars.length;
}
