import type { Express } from 'express';
import Joi from 'joi';
import supertest from 'supertest';
import { createApp } from '../../../src/app';
import type { AppContainer } from '../../../src/container';
import type { RouteGroup } from '../../../src/http/route-definition';
import { API_PREFIX, routeGroups } from '../../../src/http/route-table';
import { createTestApp, type TestApp } from '../../support/test-app';

/**
 * The real app plus two test-only routes: a credential endpoint (what login/register/refresh/OAuth
 * login declare) and a webhook route, so the edge can be tested whatever the feature modules hold.
 */
export const CREDENTIAL_PATH = `${API_PREFIX}/edge-test/login`;
export const WEBHOOK_PATH = `${API_PREFIX}/webhooks/edge-test`;

const testRoutes: RouteGroup = {
  prefix: API_PREFIX,
  routes: [
    {
      method: 'post',
      path: '/edge-test/login',
      summary: 'Test-only credential endpoint',
      tags: ['test'],
      access: 'public',
      credentialEndpoint: true,
      request: { body: Joi.object({ login: Joi.string().required() }) },
      responses: { 200: { description: 'ok' } },
      handler: (_req, res) => {
        res.json({ ok: true });
      },
    },
    {
      method: 'post',
      path: '/webhooks/edge-test',
      summary: 'Test-only webhook: echoes what it saw of the raw body',
      tags: ['test'],
      access: 'public',
      responses: { 200: { description: 'ok' } },
      handler: (req, res) => {
        res.json({ raw: req.rawBody?.toString('utf8') ?? null });
      },
    },
  ],
};

export interface EdgeApp extends TestApp {
  /** supertest over the app with the test-only routes. */
  readonly edge: ReturnType<typeof supertest>;
  /** The app with the test-only routes, for tests that must choose the exact bytes sent. */
  readonly edgeApp: Express;
}

export async function createEdgeApp(
  envOverrides: Record<string, string> = {},
  configure?: (container: AppContainer) => void,
): Promise<EdgeApp> {
  const testApp = await createTestApp(envOverrides, configure);
  const app = createApp(testApp.container, { routeGroups: [...routeGroups, testRoutes] });
  return Object.assign(testApp, { edge: supertest(app), edgeApp: app });
}

/** Limits switched on, small enough to reach in a test. */
export const LIMITS_ON = {
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_WINDOW: '60s',
  RATE_LIMIT_GLOBAL_MAX: '100',
  RATE_LIMIT_AUTH_MAX: '5',
};
