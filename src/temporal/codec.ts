import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { GCM_IV_BYTES, GCM_TAG_BYTES, Keyring } from '../db/credentialCipher';

const ENCODING = 'binary/encrypted';
const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b?: Uint8Array | null) => (b ? new TextDecoder().decode(b) : '');

/**
 * Encrypts every Temporal payload (workflow inputs, results, signals, queries, activity arguments) so the
 * server's history holds only ciphertext. The whole original payload, metadata included, is sealed.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: Keyring) {}

  static fromSecrets(secret: string, previous: string[] = []): EncryptionCodec {
    return new EncryptionCodec(new Keyring(secret, previous));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const sealed = this.keyring.encryptBytes(temporal.api.common.v1.Payload.encode(payload).finish());
      return {
        metadata: { encoding: utf8(ENCODING), 'encryption-key-id': utf8(sealed.kid) },
        data: Buffer.concat([sealed.iv, sealed.tag, sealed.data]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.encoding) !== ENCODING || !payload.data) return payload;
      const data = Buffer.from(payload.data);
      // iv | tag | ciphertext: anything shorter than iv and a full tag cannot be ours (decryptBytes checks the tag's length).
      if (data.length < GCM_IV_BYTES + GCM_TAG_BYTES)
        throw new Error(`an encrypted payload has ${data.length} bytes, fewer than an IV and a ${GCM_TAG_BYTES}-byte tag`);
      const tagEnd = GCM_IV_BYTES + GCM_TAG_BYTES;
      const plain = this.keyring.decryptBytes({
        kid: text(payload.metadata?.['encryption-key-id']),
        iv: data.subarray(0, GCM_IV_BYTES),
        tag: data.subarray(GCM_IV_BYTES, tagEnd),
        data: data.subarray(tagEnd),
      });
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
