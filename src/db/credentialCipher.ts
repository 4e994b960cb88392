import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;

/** Ciphertext as stored; `kid` names the key so keys can be rotated without a flag day. */
export interface EncryptedSecret {
  kid: string;
  iv: string;
  tag: string;
  data: string;
}

/**
 * AES-256-GCM with a current key and any number of previous ones: encrypts with the current key, decrypts with
 * whichever key a ciphertext names (rotation: make the new key current, keep the old one listed until re-encrypted).
 */
export class Keyring {
  readonly kid: string;
  private readonly key: Buffer;
  private readonly keys: Map<string, Buffer>;

  constructor(secret: string, previousSecrets: string[] = []) {
    this.key = deriveKey(secret);
    this.kid = keyId(this.key);
    this.keys = new Map([this.key, ...previousSecrets.map(deriveKey)].map((k) => [keyId(k), k]));
  }

  /** True when the ciphertext was sealed with an older key and should be re-encrypted (rotation). */
  isCurrent(kid: string): boolean {
    return kid === this.kid;
  }

  encryptBytes(plain: Uint8Array): { kid: string; iv: Buffer; tag: Buffer; data: Buffer } {
    const iv = randomBytes(GCM_IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: GCM_TAG_BYTES });
    const data = Buffer.concat([cipher.update(plain), cipher.final()]);
    return { kid: this.kid, iv, tag: cipher.getAuthTag(), data };
  }

  decryptBytes(sealed: { kid: string; iv: Buffer; tag: Buffer; data: Buffer }): Buffer {
    const key = this.keys.get(sealed.kid);
    if (!key) throw new Error(`data was encrypted with key ${sealed.kid}, which is neither the current key nor a listed previous one`);
    // GCM accepts tags as short as 4 bytes unless told otherwise, and a short tag is far easier to forge: only the
    // full 16-byte tag we write is accepted.
    if (sealed.tag.length !== GCM_TAG_BYTES) throw new Error(`the authentication tag has ${sealed.tag.length} bytes; only ${GCM_TAG_BYTES} are accepted`);
    if (sealed.iv.length !== GCM_IV_BYTES) throw new Error(`the IV has ${sealed.iv.length} bytes; only ${GCM_IV_BYTES} are accepted`);
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: GCM_TAG_BYTES });
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.data), decipher.final()]);
  }
}

/** Provider credentials at rest: a database dump shows no secret. */
export class CredentialCipher {
  private readonly keyring: Keyring;

  constructor(secret: string, previousSecrets: string[] = []) {
    this.keyring = new Keyring(secret, previousSecrets);
  }

  get kid(): string {
    return this.keyring.kid;
  }

  isCurrent(kid: string): boolean {
    return this.keyring.isCurrent(kid);
  }

  encrypt(plain: Record<string, string>): EncryptedSecret {
    const sealed = this.keyring.encryptBytes(Buffer.from(JSON.stringify(plain), 'utf8'));
    return { kid: sealed.kid, iv: sealed.iv.toString('base64'), tag: sealed.tag.toString('base64'), data: sealed.data.toString('base64') };
  }

  decrypt(secret: EncryptedSecret): Record<string, string> {
    const plain = this.keyring.decryptBytes({
      kid: secret.kid,
      iv: Buffer.from(secret.iv, 'base64'),
      tag: Buffer.from(secret.tag, 'base64'),
      data: Buffer.from(secret.data, 'base64'),
    });
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
