/**
 * Runs calls that share a key one after another, in the order they came; calls under other keys run meanwhile.
 * For a change two callers of one process may make to the same document at once, where the store cannot decide
 * between them: FerretDB v1 applies an update as read, change, rewrite, so a filter on the old state does not stop
 * a second writer that read it too.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, call: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(call, call);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
