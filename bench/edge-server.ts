import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { loadConfig } from '../src/config';
import { createAppServer } from '../src/http/app-server';
import { buildContainer } from '../src/container';
import { AdminRepository, toAdminView } from '../src/modules/admins/admins.repository';
import { PrincipalRepository } from '../src/modules/auth/principal.repository';
import { TokenService } from '../src/modules/auth/token.service';
import { PlanRepository } from '../src/modules/plans/plans.repository';
import { startServer } from '../src/server';

/**
 * One server of the edge benchmark, in a child process of bench/edge.bench.ts (which runs
 * autocannon in its own process). `full`: the real API process (src/server.ts, every edge
 * middleware, rate limits on). `bare`: a bare Express 5 app doing the same domain work for the same
 * three routes, with none of the edge: `bare` as Express serves it (http.createServer(app), the
 * benchmark's reference), `served` through the API's own server (src/http/app-server.ts, which
 * spares Express its per-request prototype swap), so that full/served shows what the edge
 * middleware itself costs. All read the configuration from the environment.
 */
async function bare(served: boolean): Promise<number> {
  const config = loadConfig(process.env);
  // The container only supplies the same knex pool the API uses; no request goes through it.
  const { db } = buildContainer(config).cradle;
  const plans = new PlanRepository({ db });
  const admins = new AdminRepository({ db });
  const principals = new PrincipalRepository({ db });
  const tokens = new TokenService({ config });

  const app = express();
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/api/v1/plans', async (_req, res) => {
    res.json(await plans.list({ page: 1, page_size: 20 }, { activeOnly: true }));
  });
  // The same checks as the real route: signature and claims, account active and session live, then the read.
  app.get('/api/v1/auth/me', async (req, res) => {
    const token = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
    const claims = tokens.verifyAccessToken(token);
    const admin = (await principals.liveRole(claims.adminId, claims.sessionId)) ? await admins.findById(claims.adminId) : undefined;
    if (!admin) {
      res.status(401).json({ detail: 'Invalid or expired token' });
      return;
    }
    res.json(toAdminView(admin));
  });
  const server = served ? createAppServer(app) : http.createServer(app);
  // A normal exit, so that --cpu-prof gets written.
  process.once('SIGTERM', () => process.exit(0));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function full(): Promise<number> {
  const running = await startServer(loadConfig(process.env));
  process.once('SIGTERM', () => {
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  return running.port;
}

// The parent asks for the CPU time this process used since its last question (user + system, µs).
let lastUsage = process.cpuUsage();
process.on('message', () => {
  const usage = process.cpuUsage(lastUsage);
  lastUsage = process.cpuUsage();
  process.send?.({ cpuMicros: usage.user + usage.system });
});

const mode = process.argv[2];
(mode === 'full' ? full() : bare(mode === 'served')).then(
  (port) => process.send?.({ port }),
  (error: unknown) => {
    console.error(`${mode} server failed:`, error);
    process.exit(1);
  },
);
