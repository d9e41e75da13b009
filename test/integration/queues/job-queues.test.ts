import { expect } from 'chai';
import { jobId, queuePrefix } from '../../../src/infrastructure/queues/queue-names';
import { createTestApp, type TestApp } from '../../support/test-app';
import { TEST_REDIS_PREFIX } from '../../support/env';

describe('job queues (producer side)', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => {
    await t.close();
  });

  it('when parts carry separators or are all digits, then the job id has neither a colon nor only digits', () => {
    expect(jobId('cryptobot', 528890)).to.equal('cryptobot-528890');
    expect(jobId('remnawave', 'user.expired:42')).to.equal('remnawave-user.expired_42');
    expect(jobId(12, 34)).to.not.match(/^\d+$/);
  });

  it('when a job is added twice under one id, then the queue holds it once, under the hash-tagged prefix', async () => {
    const { jobQueues, config, redis } = t.container.cradle;
    expect(queuePrefix(config)).to.equal(`${TEST_REDIS_PREFIX}{queues}`);
    const id = jobId('probe', Date.now());
    await jobQueues.add('webhooks', 'probe', { n: 1 }, { jobId: id, delay: 60_000 });
    await jobQueues.add('webhooks', 'probe', { n: 2 }, { jobId: id, delay: 60_000 });
    const job = await jobQueues.queue('webhooks').getJob(id);
    expect(job?.data).to.deep.equal({ n: 1 });
    expect(await redis.exists(`${TEST_REDIS_PREFIX}{queues}:webhooks:${id}`)).to.equal(1);
    await job?.remove();
  });
});
