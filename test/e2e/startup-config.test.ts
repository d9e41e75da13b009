import { expect } from 'chai';
import { testEnv } from '../support/env';
import { freePort, startApiProcess, waitForHealth } from './api-process';

const without = (env: NodeJS.ProcessEnv, ...keys: string[]): NodeJS.ProcessEnv => {
  const copy = { ...env };
  for (const key of keys) delete copy[key];
  return copy;
};

describe('API start-up configuration (child process)', function () {
  this.timeout(60_000);

  it('when JWT_SECRET and DATABASE_URL are missing, then the process exits non-zero naming both and printing no value', async () => {
    const env = without(testEnv(), 'JWT_SECRET', 'DATABASE_URL');
    const api = startApiProcess(env);
    const code = await api.exited;
    expect(code).to.equal(1);
    const output = api.stderr() + api.stdout();
    // One message naming every bad key at once.
    const messages = api.stderr().split('\n').filter((line) => line.startsWith('Invalid configuration:'));
    expect(messages).to.have.length(1);
    expect(messages[0]).to.include('JWT_SECRET').and.include('DATABASE_URL');
    for (const key of ['REMNAWAVE_WEBHOOK_SECRET', 'CRYPTOBOT_TOKEN', 'TELEGRAM_BOT_TOKEN', 'METRICS_TOKEN', 'GITHUB_CLIENT_SECRET', 'REDIS_URL']) {
      expect(output, key).not.to.include(String(env[key]));
    }
    expect(output).not.to.match(/\n\s+at /);
  });

  it('when a secret is malformed, then the process exits non-zero naming the key and not the value', async () => {
    const api = startApiProcess(testEnv({ JWT_SECRET: 'qz-too-short-secret', BCRYPT_COST: '9' }));
    expect(await api.exited).to.equal(1);
    expect(api.stderr()).to.include('JWT_SECRET').and.include('BCRYPT_COST');
    expect(api.stderr() + api.stdout()).not.to.include('qz-too-short-secret');
  });

  it('when a .env file sits in the working directory, then it fills in missing keys and the environment wins over it', async () => {
    const port = await freePort();
    const env = without(testEnv({ PORT: String(port) }), 'DATABASE_URL');
    const dotenv = `DATABASE_URL=${testEnv().DATABASE_URL}\nJWT_SECRET=qz-short-from-file\n`;
    const api = startApiProcess(env, { '.env': dotenv });
    try {
      await waitForHealth(port, api);
      const ready = await fetch(`http://127.0.0.1:${port}/ready`);
      expect(ready.status).to.equal(200);
    } finally {
      api.child.kill('SIGTERM');
    }
    expect(await api.exited).to.equal(0);
  });
});
