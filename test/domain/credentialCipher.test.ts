import { CredentialCipher } from '../../src/db/credentialCipher';
import { EncryptionCodec } from '../../src/temporal/codec';

const KEY = '3dec184d0db5731bd9b21be8b46f55384848c3aa4d031157dec856c3877c050d';
const OLD_KEY = 'BvYAElSfWUynlAupbYsL2ABABeLEO+rad/2MT62OPG0=';

describe('AES-GCM authentication tags', () => {
  const cipher = new CredentialCipher(KEY);
  const sealed = cipher.encrypt({ password: 'secret' });

  it('writes and accepts a full 16-byte tag', () => {
    expect(Buffer.from(sealed.tag, 'base64')).toHaveLength(16);
    expect(cipher.decrypt(sealed)).toEqual({ password: 'secret' });
  });

  it.each([4, 8, 12, 15])('refuses credentials whose tag was cut to %i bytes', (bytes) => {
    const truncated = { ...sealed, tag: Buffer.from(sealed.tag, 'base64').subarray(0, bytes).toString('base64') };
    expect(() => cipher.decrypt(truncated)).toThrow(`the authentication tag has ${bytes} bytes; only 16 are accepted`);
  });

  it('refuses Temporal payloads whose tag was cut short', async () => {
    const codec = EncryptionCodec.fromSecrets(KEY);
    const [encoded] = await codec.encode([{ metadata: {}, data: new TextEncoder().encode('"hello"') }]);
    const data = Buffer.from(encoded.data!);
    await expect(codec.decode([encoded])).resolves.toHaveLength(1);
    // keep the ciphertext but drop the last 12 tag bytes: a 4-byte tag GCM itself would accept
    const shortTag = Buffer.concat([data.subarray(0, 16), data.subarray(28)]);
    await expect(codec.decode([{ ...encoded, data: shortTag }])).rejects.toThrow(/tag|decrypt/);
    await expect(codec.decode([{ ...encoded, data: data.subarray(0, 20) }])).rejects.toThrow(/fewer than an IV and a 16-byte tag/);
  });
});

describe('credential key rotation', () => {
  it('reads credentials sealed with a previous key and knows they are not current', () => {
    const old = new CredentialCipher(OLD_KEY).encrypt({ password: 'secret' });
    const rotating = new CredentialCipher(KEY, [OLD_KEY]);
    expect(rotating.isCurrent(old.kid)).toBe(false);
    expect(rotating.decrypt(old)).toEqual({ password: 'secret' });
    expect(() => new CredentialCipher(KEY).decrypt(old)).toThrow(/neither the current key nor a listed previous one/);
  });
});
