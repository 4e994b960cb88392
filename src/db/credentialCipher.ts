import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** Ciphertext as stored in MongoDB; `kid` names the key so keys can be rotated without a flag day. */
export interface EncryptedSecret {
  kid: string;
  iv: string;
  tag: string;
  data: string;
}

/** AES-256-GCM for provider credentials at rest: a database dump shows no secret. */
export class CredentialCipher {
  private readonly key: Buffer;
  readonly kid: string;

  constructor(secret: string) {
    this.key = deriveKey(secret);
    this.kid = createHash('sha256').update(this.key).digest('hex').slice(0, 8);
  }

  encrypt(plain: Record<string, string>): EncryptedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
    return { kid: this.kid, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  }

  decrypt(secret: EncryptedSecret): Record<string, string> {
    if (secret.kid !== this.kid) throw new Error(`credentials were encrypted with key ${secret.kid}, not the configured key`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(secret.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(secret.tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(secret.data, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as Record<string, string>;
  }
}

/** A 32-byte key given as 64 hex chars or base64 is used as is; any other string is hashed into one. */
function deriveKey(secret: string): Buffer {
  if (/^[0-9a-f]{64}$/i.test(secret)) return Buffer.from(secret, 'hex');
  const b64 = Buffer.from(secret, 'base64');
  if (b64.length === 32 && /^[A-Za-z0-9+/]+=*$/.test(secret)) return b64;
  return createHash('sha256').update(secret, 'utf8').digest();
}
