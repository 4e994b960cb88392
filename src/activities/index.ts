export { createBookkeepingActivities, type BookkeepingDeps } from './bookkeeping';
export { createProviderActivities, type ProviderActivityDeps } from './provider';
export type * from './types';
