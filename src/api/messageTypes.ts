import type { MessageType } from '../domain/sms';
import { ApiError } from '../errors';
import type { Principal } from './auth';

/**
 * A key limited to some message types (`message_types` at its creation) may send only those: the type decides the
 * rules a text meets (opt-outs, quiet hours, the per-number budget), so it is not the sender's to choose freely.
 * `field` names where the type came from in the request.
 */
export function assertMaySendType(principal: Principal, type: MessageType, field = 'message_type'): void {
  if (!principal.messageTypes || principal.messageTypes.includes(type)) return;
  const problem = `this key may send only ${principal.messageTypes.join(', ')}`;
  throw new ApiError(403, 'message_type_not_allowed', `${field}: ${problem}`, [{ field, message: problem }]);
}
