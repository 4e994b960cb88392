/** The shapes of our ids, one place for every route and service that checks them (no imports: workflow-safe). */

/** Batches, campaigns, templates: UUIDs (random or derived, see ids.ts). */
export const UUID_PATTERN = /^[0-9a-f-]{36}$/;

/** Messages: a UUID, or a batch id with the recipient's index (`<batch id>-<n>`). */
export const MESSAGE_ID_PATTERN = /^[0-9a-f-]{36}(-\d{1,6})?$/;
