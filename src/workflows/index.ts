export * from './alerts';
export * from './bulkSms';
export * from './campaignRun';
export * from './sendSms';
export * from './signals';
export * from './retention';
export * from './statusCallback';
