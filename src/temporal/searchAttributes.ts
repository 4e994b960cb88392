import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes so operators can filter SMS workflows in the Temporal UI. Workflow-safe. */
export const SmsStatusKey = defineSearchAttributeKey('SmsStatus', SearchAttributeType.KEYWORD);
export const SmsProviderKey = defineSearchAttributeKey('SmsProvider', SearchAttributeType.KEYWORD);
export const SmsBatchIdKey = defineSearchAttributeKey('SmsBatchId', SearchAttributeType.KEYWORD);
export const SmsMessageTypeKey = defineSearchAttributeKey('SmsMessageType', SearchAttributeType.KEYWORD);

export const SMS_SEARCH_ATTRIBUTES = [SmsStatusKey, SmsProviderKey, SmsBatchIdKey, SmsMessageTypeKey];
