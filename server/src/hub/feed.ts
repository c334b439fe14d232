/**
 * What the language server feeds from its hub: every event batch to each model, and each runtime
 * process as it says hello (one that ends before any scan is still listed). The benchmarks use the
 * same wiring, so an instrumented program pays there what it pays in the editor.
 */
import type { ChannelInfo } from '../../../protocol/protocol';
import type { Hub, HubClient, HubEvent } from './hub';

export interface HubModels {
  channels: { ingest(batch: HubEvent[]): void; describe(ids?: string[]): ChannelInfo[] };
  /** Leak watch and run recorder. */
  records: { ingest(batch: HubEvent[]): void };
  /** Python calls the runtime reports blocked. */
  blockedOps: { ingest(batch: HubEvent[]): void };
  /** Exit statuses parents collected, and processes known only from their hello. */
  model: { ingestRuntime(batch: HubEvent[]): void; noteRuntimeProcess(c: HubClient): void };
}

export function feedModels(hub: Hub, to: HubModels): void {
  hub.on('events', (batch: HubEvent[]) => {
    to.channels.ingest(batch);
    to.records.ingest(batch);
    to.blockedOps.ingest(batch);
    to.model.ingestRuntime(batch);
  });
  hub.on('client', (c: HubClient) => to.model.noteRuntimeProcess(c));
  hub.debug.describeChannels = (ids) => to.channels.describe(ids);
}
