import { csv, loadConfig } from '../src/config';
import { CredentialCipher } from '../src/db/credentialCipher';
import { connectMongo } from '../src/db/mongo';
import { ProviderGeneration } from '../src/db/providerDirectory';
import { ProviderRepository } from '../src/db/providers';

/**
 * `npm run reencrypt-credentials`: credential key rotation. Run with the new key as CREDENTIALS_KEY and the old one
 * in CREDENTIALS_PREVIOUS_KEYS (as the API and workers run during the rotation); it re-encrypts every provider's
 * credentials with the new key. When it reports nothing left under an old key, remove that key from
 * CREDENTIALS_PREVIOUS_KEYS. Exits 1 when a row could not be decrypted with any configured key.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const mongo = await connectMongo(config.MONGODB_URI ?? `mongodb://127.0.0.1:${config.MONGO_PORT}/`, config.MONGODB_DB);
  try {
    const cipher = new CredentialCipher(config.CREDENTIALS_KEY, csv(config.CREDENTIALS_PREVIOUS_KEYS));
    const providers = new ProviderRepository(mongo.db, cipher, new ProviderGeneration(mongo.db));
    const { reencrypted, current, unreadable } = await providers.reencryptCredentials();
    console.log(
      `Current key ${cipher.kid}: re-encrypted ${reencrypted.length} provider(s)${reencrypted.length ? ` (${reencrypted.join(', ')})` : ''}; ${current.length} already current.`,
    );
    for (const { provider, reason } of unreadable) console.error(`Could not re-encrypt ${provider}: ${reason}`);
    if (unreadable.length) process.exitCode = 1;
    else console.log('No credentials remain under a previous key: CREDENTIALS_PREVIOUS_KEYS may now be emptied.');
  } finally {
    await mongo.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
