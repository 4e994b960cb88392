/**
 * Lookup lists: for each thing the log filters by, a list of (created_at, message id) entries stored in documents
 * addressed by `_id` — the one query FerretDB v1 answers without scanning, and a point read on MongoDB too.
 *
 * - Timed families (all messages, a status, a provider, a message type, a template, a batch) are split into
 *   one-hour slots of the messages' creation time, with one directory document per family and UTC day naming the
 *   slots that have entries, so a walk back in time reads one directory per day and only non-empty slots.
 * - Keyed families (a phone number, an order reference) hash the key into one of KEY_BUCKETS lists per UTC month of
 *   creation, each entry tagged with a short hash of its key: a lookup reads one small list per month and fetches
 *   only entries with its tag, while a burst of messages to different customers shares a few hundred documents
 *   instead of writing one per customer. Retention drops whole months.
 * - A list is a chain of chunk documents of at most CHUNK_ENTRIES entries; chunk 0 also holds the chunk count.
 */
export const SLOT_MS = 60 * 60_000;
export const KEY_BUCKETS = 4_096;
export const CHUNK_ENTRIES = 1_000;

export type Family = { name: string; timed: boolean /** keyed families: the key's tag, stored with each entry */; tag?: string };

/** FNV-1a: a stable, fast hash for bucketing (not for security). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
const keyed = (prefix: string, key: string): Family => {
  const h = fnv1a(key);
  return { name: `${prefix}:${h % KEY_BUCKETS}`, timed: false, tag: (h >>> 12).toString(36) };
};

export const family = {
  all: (): Family => ({ name: 'a', timed: true }),
  status: (status: string): Family => ({ name: `s:${status}`, timed: true }),
  provider: (provider: string): Family => ({ name: `v:${provider}`, timed: true }),
  messageType: (type: string): Family => ({ name: `m:${type}`, timed: true }),
  template: (code: string): Family => ({ name: `t:${code}`, timed: true }),
  batch: (batchId: string): Family => ({ name: `b:${batchId}`, timed: true }),
  phone: (e164: string): Family => keyed('p', e164),
  orderRef: (ref: string): Family => keyed('r', ref),
};

/** Slot key (UTC `YYYYMMDDHHmm`, on the hour) and day key (UTC `YYYYMMDD`) of an instant. */
export const slotOf = (ms: number): string => new Date(Math.floor(ms / SLOT_MS) * SLOT_MS).toISOString().replace(/\D/g, '').slice(0, 12);
export const dayOf = (ms: number): string => new Date(ms).toISOString().replace(/\D/g, '').slice(0, 8);
export const slotStartMs = (slot: string): number =>
  Date.UTC(+slot.slice(0, 4), +slot.slice(4, 6) - 1, +slot.slice(6, 8), +slot.slice(8, 10), +slot.slice(10, 12));
export const dayStartMs = (day: string): number => Date.UTC(+day.slice(0, 4), +day.slice(4, 6) - 1, +day.slice(6, 8));

export const monthOf = (ms: number): string => new Date(ms).toISOString().slice(0, 7).replace('-', '');
export const monthStartMs = (month: string): number => Date.UTC(+month.slice(0, 4), +month.slice(4, 6) - 1, 1);

/** The list an entry created at `ms` goes to. */
export const listIdOf = (f: Family, ms: number): string => `${f.name}@${f.timed ? slotOf(ms) : monthOf(ms)}`;
export const chunkId = (listId: string, k: number): string => `c|${listId}|${k}`;
export const directoryId = (f: Family, day: string): string => `d|${f.name}|${day}`;

export interface Entry {
  ms: number;
  id: string;
}
/** `<ms base 36>|<id>`, and `|<tag>` in keyed families. */
export const encodeEntry = (e: Entry, tag?: string): string => `${e.ms.toString(36)}|${e.id}${tag ? `|${tag}` : ''}`;
export function decodeEntry(s: string): Entry & { tag?: string } {
  const [ms, id, tag] = s.split('|');
  return { ms: parseInt(ms, 36), id, ...(tag ? { tag } : {}) };
}
/** Newest first; the id breaks ties, as the log's cursor does. */
export const newestFirst = (a: Entry, b: Entry): number => b.ms - a.ms || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
/** Whether `e` comes after `cursor` in newest-first order. */
export const isAfter = (e: Entry, cursor: Entry): boolean => e.ms < cursor.ms || (e.ms === cursor.ms && e.id < cursor.id);
