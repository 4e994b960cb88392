import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** Ciphertext as stored in MongoDB; `kid` names the key so keys can be rotated without a flag day. */
export interface EncryptedSecret {
  kid: string;
  iv: string;
  tag: string;
  data: string;
}

/**
 * AES-256-GCM for secrets at rest: a database dump shows no secret. Encrypts with the current key; decrypts with
 * it or any previous key (rotation: add the new key, keep the old one in the previous list until re-encrypted).
 */
export class CredentialCipher {
  private readonly key: Buffer;
  readonly kid: string;
  private readonly keyring: Map<string, Buffer>;

  constructor(secret: string, previousSecrets: string[] = []) {
    this.key = deriveKey(secret);
    this.kid = keyId(this.key);
    this.keyring = new Map([this.key, ...previousSecrets.map(deriveKey)].map((k) => [keyId(k), k]));
  }

  encrypt(plain: Record<string, string>): EncryptedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
    return { kid: this.kid, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  }

  decrypt(secret: EncryptedSecret): Record<string, string> {
    const key = this.keyring.get(secret.kid);
    if (!key) throw new Error(`credentials were encrypted with key ${secret.kid}, which is neither CREDENTIALS_KEY nor in CREDENTIALS_PREVIOUS_KEYS`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(secret.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(secret.tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(secret.data, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as Record<string, string>;
  }
}

const keyId = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 8);

/** A 32-byte key given as 64 hex chars or base64 is used as is; any other string is hashed into one. */
function deriveKey(secret: string): Buffer {
  if (/^[0-9a-f]{64}$/i.test(secret)) return Buffer.from(secret, 'hex');
  const b64 = Buffer.from(secret, 'base64');
  if (b64.length === 32 && /^[A-Za-z0-9+/]+=*$/.test(secret)) return b64;
  return createHash('sha256').update(secret, 'utf8').digest();
}
