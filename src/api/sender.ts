import type { SentBy } from '../db/messages';
import type { Principal } from './auth';

/** What a message records about who sent it: the key's id and name or the user's subject, never a secret. */
export function senderFor(principal: Principal): SentBy {
  const kind = principal.id.startsWith('jwt:') ? 'user' : 'api_key';
  return { kind, id: principal.id, ...(principal.name ? { name: principal.name } : {}) };
}
