/**
 * Runs many callers' items as one operation ("natural batching"): an item waits only for the
 * operation in flight, if any; every item that arrived meanwhile goes into the next one. Idle,
 * an item runs alone at the end of the current event loop turn (no timer, no added latency);
 * under load, N callers cost one round trip instead of N.
 *
 * `run` returns one result per item, in order. When it throws, every item of that batch gets
 * the error: a `run` that must keep one bad item from failing the others settles each item itself.
 */
export interface NaturalBatchesOptions<In, Out> {
  run: (items: In[]) => Promise<Out[]>;
  /** At most this many items per operation. */
  maxItems: number;
  /** And at most this much of `weight` per operation (a batch always takes at least one item). */
  maxWeight?: number;
  weight?: (item: In) => number;
}

interface Waiting<In, Out> {
  item: In;
  resolve: (value: Out) => void;
  reject: (error: unknown) => void;
}

export class NaturalBatches<In, Out> {
  private readonly options: NaturalBatchesOptions<In, Out>;
  private waiting: Waiting<In, Out>[] = [];
  private draining = false;

  constructor(options: NaturalBatchesOptions<In, Out>) {
    this.options = options;
  }

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.draining) return;
      this.draining = true;
      // After the current turn's I/O callbacks: the items they submit join this first batch.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.take();
      try {
        const results = await this.options.run(batch.map((entry) => entry.item));
        batch.forEach((entry, index) => entry.resolve(results[index]!));
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.draining = false;
  }

  private take(): Waiting<In, Out>[] {
    const { maxItems, maxWeight = Infinity, weight = () => 0 } = this.options;
    let count = 0;
    let total = 0;
    while (count < this.waiting.length && count < maxItems) {
      total += weight(this.waiting[count]!.item);
      if (count > 0 && total > maxWeight) break;
      count += 1;
    }
    return this.waiting.splice(0, count);
  }
}
