import { expect } from 'chai';
import { NaturalBatches } from '../../../src/shared/natural-batches';

/** A batcher that records each operation's items and answers each item doubled. */
function recording(options: { maxItems?: number; maxWeight?: number; fail?: (items: number[]) => boolean } = {}) {
  const operations: number[][] = [];
  const batches = new NaturalBatches<number, number>({
    maxItems: options.maxItems ?? 100,
    maxWeight: options.maxWeight,
    weight: (item) => item,
    run: async (items) => {
      operations.push(items);
      await new Promise((resolve) => setImmediate(resolve));
      if (options.fail?.(items)) throw new Error(`failed ${items.join(',')}`);
      return items.map((item) => item * 2);
    },
  });
  return { batches, operations };
}

describe('NaturalBatches', () => {
  it('when items are submitted in the same turn, then they run as one operation and each caller gets its own result', async () => {
    const { batches, operations } = recording();
    expect(await Promise.all([1, 2, 3].map((item) => batches.submit(item)))).to.deep.equal([2, 4, 6]);
    expect(operations).to.deep.equal([[1, 2, 3]]);
  });

  it('when items arrive while an operation is in flight, then they wait for it and run together in the next one', async () => {
    const { batches, operations } = recording();
    const first = batches.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [batches.submit(2), batches.submit(3)];
    expect(await Promise.all([first, ...later])).to.deep.equal([2, 4, 6]);
    expect(operations).to.deep.equal([[1], [2, 3]]);
  });

  it('when more items wait than maxItems, then they run in operations of at most maxItems', async () => {
    const { batches, operations } = recording({ maxItems: 2 });
    await Promise.all([1, 2, 3, 4, 5].map((item) => batches.submit(item)));
    expect(operations).to.deep.equal([[1, 2], [3, 4], [5]]);
  });

  it('when the waiting items weigh more than maxWeight, then an operation stops before it, but an item heavier than the limit still runs alone', async () => {
    const { batches, operations } = recording({ maxWeight: 5 });
    await Promise.all([2, 3, 4, 9, 1].map((item) => batches.submit(item)));
    expect(operations).to.deep.equal([[2, 3], [4], [9], [1]]);
  });

  it('when an operation fails, then every item of it gets the error and the items after it still run', async () => {
    const { batches, operations } = recording({ maxItems: 2, fail: (items) => items.includes(1) });
    const results = await Promise.allSettled([1, 2, 3].map((item) => batches.submit(item)));
    expect(results.map((result) => result.status)).to.deep.equal(['rejected', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason).to.have.property('message', 'failed 1,2');
    expect((results[2] as PromiseFulfilledResult<number>).value).to.equal(6);
    expect(operations).to.deep.equal([[1, 2], [3]]);
  });

  it('when the batcher went idle, then a new item starts a new operation', async () => {
    const { batches, operations } = recording();
    await batches.submit(1);
    expect(await batches.submit(2)).to.equal(4);
    expect(operations).to.deep.equal([[1], [2]]);
  });
});
