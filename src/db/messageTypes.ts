import type { TaiwanPhone } from '../domain/phone';
import type { SmsEncoding } from '../domain/segments';
import type { MessageType, ProviderName, SmsStatus } from '../domain/sms';

/** The sms_messages document: one per SMS. */
export interface MessageEvent {
  at: Date;
  type: string;
  status?: SmsStatus;
  provider?: ProviderName;
  detail?: Record<string, unknown>;
}

export interface AttemptRecord {
  provider: ProviderName;
  /** Temporal activity attempt number for this provider. */
  attempt: number;
  started_at: Date;
  finished_at?: Date;
  outcome?: 'accepted' | 'error';
  error_code?: string;
  error_message?: string;
  /** The provider may have accepted despite the error (timeout): a later send may duplicate. */
  ambiguous?: boolean;
}

export interface SmsMessage {
  _id: string;
  phone_e164: string;
  phone_national: string;
  phone_masked: string;
  phone_kind: TaiwanPhone['kind'];
  body: string;
  message_type: MessageType;
  metadata: Record<string, unknown>;
  encoding: SmsEncoding;
  segments: number;
  units: number;
  status: SmsStatus;
  provider?: ProviderName;
  provider_message_id?: string;
  provider_status?: string;
  error_code?: string;
  /** Finished provider attempts, oldest first. */
  attempts: AttemptRecord[];
  /** The provider call in flight, if any; still set after a worker died mid-call. */
  open_attempt?: AttemptRecord;
  price_per_segment?: number;
  cost?: number;
  reported_cost?: number;
  batch_id?: string;
  template_code?: string;
  template_version?: number;
  /** Variant id when the template has A/B variants, else `default`. */
  variant?: string;
  /** Test sends go through this provider only. */
  forced_provider?: ProviderName;
  /** A batch message whose batch respects quiet hours (marketing always does): held by them at send time too. */
  respect_quiet_hours?: boolean;
  /**
   * A batch message whose text its template could no longer give (edited or removed after the batch was accepted):
   * stored without a body and never texted; its workflow ends it `failed` with this code.
   */
  render_error?: { code: string; message: string };
  /**
   * When the message may go: the caller's `scheduled_at`, moved past quiet hours for marketing. Its workflow holds
   * it until then (status `scheduled`); messages stored before that used a Temporal start delay (status `queued`).
   */
  scheduled_at?: Date;
  /** The caller's `valid_until`: not handed to a provider from then on (it expires instead). */
  valid_until?: Date;
  /** The caller's own reference, unique per sender: the message id is derived from sender and reference. */
  reference?: string;
  /** Who sent it (never a secret); absent on messages stored before it was recorded. */
  sent_by?: SentBy;
  idempotency_fingerprint?: string;
  /** Where this message's status changes are POSTed, signed with that API key's secret (services/statusCallbacks.ts). */
  callback?: MessageCallback;
  /** Status callbacks made so far (the last one's sequence number) and the status the last one reported. */
  callback_seq?: number;
  callback_status?: SmsStatus;
  created_at: Date;
  updated_at: Date;
  sent_at?: Date;
  delivered_at?: Date;
  finished_at?: Date;
  /** Set when retention removed the text and full number (see MessageRepository.anonymise). */
  purged_at?: Date;
  /**
   * The state the rollups count this message in (absent: not counted yet). Written after its counters, so a change
   * whose counters a crash cut off is seen, and counted, by the next change (see MessageRepository.change).
   */
  counted?: CountedState;
  events: MessageEvent[];
}

/** The API key or user a message was sent by (or the campaign whose scheduled run sent it). */
export interface SentBy {
  kind: 'api_key' | 'user' | 'campaign';
  /** The API key id, `jwt:<sub>` for a user, `campaign:<id>` for a campaign run. */
  id: string;
  /** The API key's name or the user's subject, when known. */
  name?: string;
}

export interface MessageCallback {
  url: string;
  /** The API key whose callback secret signs the POSTs. */
  key_id: string;
}

/** The fields of a message that move its rollup counters; the rest never change after creation. */
export interface CountedState {
  status: SmsStatus;
  provider?: ProviderName;
  cost?: number;
  sent_at?: Date;
  delivered_at?: Date;
}

export type NewMessage = Omit<SmsMessage, 'status' | 'attempts' | 'events' | 'created_at' | 'updated_at'>;
