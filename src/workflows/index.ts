export * from './sendSms';
