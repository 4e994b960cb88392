import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import type { DataConverter } from '@temporalio/common';
import { csv, type Config } from '../config';
import { EncryptionCodec } from './codec';
import { SMS_SEARCH_ATTRIBUTES } from './searchAttributes';

export interface TemporalTarget {
  address: string;
  namespace: string;
  tls: boolean;
  apiKey?: string;
  /** Every client and worker of the deployment must share it, or they cannot read each other's payloads. */
  dataConverter: DataConverter;
}

export function temporalTarget(config: Config, address: string): TemporalTarget {
  return { address, namespace: config.TEMPORAL_NAMESPACE, tls: config.TEMPORAL_TLS, apiKey: config.TEMPORAL_API_KEY, dataConverter: dataConverterFor(config) };
}

export function dataConverterFor(config: Pick<Config, 'PAYLOAD_ENCRYPTION_KEY' | 'PAYLOAD_PREVIOUS_KEYS'>): DataConverter {
  return { payloadCodecs: [EncryptionCodec.fromSecrets(config.PAYLOAD_ENCRYPTION_KEY, csv(config.PAYLOAD_PREVIOUS_KEYS))] };
}

export async function connectClient(target: TemporalTarget): Promise<Client> {
  const connection = await Connection.connect({ address: target.address, tls: target.tls || undefined, apiKey: target.apiKey });
  return new Client({ connection, namespace: target.namespace, dataConverter: target.dataConverter });
}

export function connectWorker(target: TemporalTarget): Promise<NativeConnection> {
  return NativeConnection.connect({ address: target.address, tls: target.tls || undefined, apiKey: target.apiKey });
}

/**
 * Registers our search attributes on a cluster that lacks them (a fresh production namespace). The embedded dev
 * server gets them as start flags instead, which avoids waiting for the server's attribute cache to refresh.
 */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<void> {
  const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
  const missing = SMS_SEARCH_ATTRIBUTES.filter((key) => !customAttributes?.[key.name]);
  if (missing.length === 0) return;
  const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await client.connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, keyword])),
  });
}

/**
 * Whether the server can serve the namespace: a call that reads its persistence (getSystemInfo does not), so a
 * server whose database is broken answers false.
 */
export async function temporalServesNamespace(client: Client, namespace: string, timeoutMs = 5_000): Promise<boolean> {
  try {
    await client.connection.withDeadline(Date.now() + timeoutMs, () => client.connection.workflowService.describeNamespace({ namespace }));
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits until the server serves the namespace. A dev server just started on an existing database can answer
 * "Namespace not found" for a while (its namespace registry loads asynchronously, slowly on a loaded machine);
 * start-up must not fail on that. Throws after `timeoutMs`.
 */
export async function waitUntilNamespaceServed(client: Client, namespace: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await temporalServesNamespace(client, namespace))) {
    if (Date.now() > deadline) throw new Error(`Temporal did not serve namespace ${namespace} within ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

export async function pingTemporal(client: Client, timeoutMs = 500): Promise<boolean> {
  try {
    await client.connection.withDeadline(Date.now() + timeoutMs, () => client.connection.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  }
}
