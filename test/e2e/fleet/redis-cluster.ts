import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../api-process';

/** A throwaway 3-master Redis Cluster on free local ports, in a temporary directory. */
export interface LocalRedisCluster {
  /** REDIS_CLUSTER_NODES for it. */
  readonly nodes: string;
  stop(): Promise<void>;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const redisCli = (port: number, ...args: string[]): string => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout ?? '';
const ping = (port: number) => redisCli(port, 'ping').trim() === 'PONG';

export async function startRedisCluster(): Promise<LocalRedisCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cybervpn-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const busPorts = [await freePort(), await freePort(), await freePort()];
  const servers: ChildProcess[] = ports.map((port, index) =>
    spawn(
      'redis-server',
      // The bus port is chosen too, so that port + 10000 being taken cannot break the cluster.
      ['--port', String(port), '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-port', String(busPorts[index]), '--appendonly', 'no', '--save', '', '--dir', dir, '--bind', '127.0.0.1'],
      { cwd: dir, stdio: 'ignore' },
    ),
  );
  const stop = async () => {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            if (server.exitCode !== null || server.signalCode !== null) return resolve();
            server.once('exit', () => resolve());
            server.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => ports.every(ping), 'the redis servers');
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${created.stdout}\n${created.stderr}`);
    const nodes = ports.map((port) => `127.0.0.1:${port}`).join(',');
    // Every node must have heard of every slot's owner before a client may rely on any of them.
    await waitFor(async () => ports.every((port) => redisCli(port, 'cluster', 'info').includes('cluster_state:ok')), 'cluster_state:ok on every node');
    return { nodes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
