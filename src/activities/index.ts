export { createBookkeepingActivities, type BookkeepingDeps } from './bookkeeping';
export { batchMessageId, createBulkActivities, type BulkDeps } from './bulk';
export { createProviderActivities, type ProviderActivityDeps } from './provider';
export type * from './types';
