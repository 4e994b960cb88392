export * from './bulkSms';
export * from './sendSms';
export * from './signals';
