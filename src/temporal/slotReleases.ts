import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { slotReleasedSignal, slotsReleasedSignal } from '../workflows/signals';

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Group {
  messageIds: string[];
  waiters: Waiter[];
  timer: NodeJS.Timeout;
}

/**
 * Frees batch window slots for the provider activities: the releases of one batch that come within `lingerMs` of
 * each other go to it as one signal. Each caller's promise settles when the signal carrying its message has been
 * delivered (or failed), so a send activity still reports its slot freed only once the batch has it.
 *
 * Why: a signal per message was one history event, one server round trip and often one workflow task of the batch
 * for every message. The batch is one workflow that every message of a campaign changes, so what it costs per
 * message is paid at the campaign's rate (docs/throughput.md, fifteenth round).
 */
export class SlotReleaseGroups {
  private readonly groups = new Map<string, Group>();

  constructor(
    private readonly signal: (batchWorkflowId: string, messageIds: string[]) => Promise<void>,
    private readonly lingerMs: number,
    /** Most ids per signal (keeps one signal's payload small whatever the rate). */
    private readonly maxIds = 200,
  ) {}

  release(batchWorkflowId: string, messageId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      let group = this.groups.get(batchWorkflowId);
      if (!group) {
        const timer = setTimeout(() => this.send(batchWorkflowId), this.lingerMs);
        group = { messageIds: [], waiters: [], timer };
        this.groups.set(batchWorkflowId, group);
      }
      group.messageIds.push(messageId);
      group.waiters.push({ resolve, reject });
      if (group.messageIds.length >= this.maxIds) this.send(batchWorkflowId);
    });
  }

  private send(batchWorkflowId: string): void {
    const group = this.groups.get(batchWorkflowId);
    if (!group) return;
    this.groups.delete(batchWorkflowId);
    clearTimeout(group.timer);
    this.signal(batchWorkflowId, group.messageIds).then(
      () => group.waiters.forEach((w) => w.resolve()),
      (err) => group.waiters.forEach((w) => w.reject(err)),
    );
  }
}

/**
 * The worker's way to free a batch slot. `lingerMs` 0 sends one `slotReleased` signal per message: the form every
 * earlier version of the batch workflow understands, for a rolling upgrade from one (docs/operations.md).
 */
export function batchSlotReleaser(client: Client, lingerMs: number): (batchWorkflowId: string, messageId: string) => Promise<void> {
  const signal = async (batchWorkflowId: string, messageIds: string[]) => {
    const batch = client.workflow.getHandle(batchWorkflowId);
    try {
      if (lingerMs === 0) await Promise.all(messageIds.map((id) => batch.signal(slotReleasedSignal, id)));
      else await batch.signal(slotsReleasedSignal, messageIds);
    } catch (err) {
      // A finished (e.g. cancelled) batch waits for nobody.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  };
  const groups = new SlotReleaseGroups(signal, lingerMs);
  return (batchWorkflowId, messageId) => groups.release(batchWorkflowId, messageId);
}
