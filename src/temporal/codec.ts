import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Keyring } from '../db/credentialCipher';

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
      const plain = this.keyring.decryptBytes({ kid: text(payload.metadata?.['encryption-key-id']), iv: data.subarray(0, 12), tag: data.subarray(12, 28), data: data.subarray(28) });
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
