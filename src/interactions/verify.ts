// Discord signs every interaction request with the application's Ed25519 key: the signature
// (X-Signature-Ed25519, hex) covers the timestamp header followed by the raw body. Node's crypto verifies
// Ed25519 natively; the 32-byte public key is wrapped in its SPKI DER header to become a KeyObject.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the raw 32-byte key follows. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function ed25519PublicKey(hex: string): KeyObject {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error('an Ed25519 public key is 64 hex digits');
  return createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(hex, 'hex')]),
    format: 'der',
    type: 'spki',
  });
}

export type SignatureCheck = 'ok' | 'missing' | 'bad_signature' | 'stale';

/**
 * Whether a request is Discord's: a valid signature over `timestamp + body`, with a timestamp (Unix
 * seconds) within `maxAgeSec` of now either way, so a captured request cannot be replayed later.
 */
export function checkSignature(
  key: KeyObject,
  signature: string | undefined,
  timestamp: string | undefined,
  body: Buffer,
  maxAgeSec: number,
  nowMs = Date.now(),
): SignatureCheck {
  if (!signature || !timestamp) return 'missing';
  if (!/^[0-9a-fA-F]{128}$/.test(signature) || !/^\d{1,12}$/.test(timestamp)) return 'bad_signature';
  // The signature first: an attacker must not learn anything from a forged request, not even about time.
  if (!verify(null, Buffer.concat([Buffer.from(timestamp), body]), key, Buffer.from(signature, 'hex')))
    return 'bad_signature';
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > maxAgeSec) return 'stale';
  return 'ok';
}
