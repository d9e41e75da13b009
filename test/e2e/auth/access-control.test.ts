import { expect } from 'chai';
import express from 'express';
import supertest from 'supertest';
import { requestScope } from '../../../src/http/request-scope';
import { mountRoutes } from '../../../src/http/mount-routes';
import { errorHandler, notFoundHandler } from '../../../src/http/error-handler';
import type { RouteDefinition } from '../../../src/http/route-definition';
import { hasPermission, PERMISSIONS, ROLES, type Role } from '../../../src/shared/permissions';
import { createTestApp, type TestApp } from '../../support/test-app';
import { createAdmin } from '../../support/fixtures';
import { signIn } from '../../support/auth-helpers';

/**
 * Every role against a route guarded by every permission, through the real guard, authenticator,
 * tokens and database. Many permissions guard routes of modules still to come, so each gets a
 * probe route declared exactly as a module would declare it.
 */
const probeRoutes: RouteDefinition[] = [
  ...PERMISSIONS.map(
    (permission): RouteDefinition => ({
      method: 'get',
      path: `/probe/${permission}`,
      summary: permission,
      tags: ['probe'],
      access: permission,
      responses: { 200: { description: 'ok' } },
      handler: (req, res) => {
        res.json({ admin_id: req.principal?.kind === 'admin' ? req.principal.adminId : null });
      },
    }),
  ),
  {
    method: 'get',
    path: '/probe/any',
    summary: 'any admin',
    tags: ['probe'],
    access: 'authenticated',
    responses: { 200: { description: 'ok' } },
    handler: (_req, res) => {
      res.json({ ok: true });
    },
  },
];

describe('access control: every role against every permission', () => {
  let t: TestApp;
  let probe: ReturnType<typeof supertest>;
  const bearerOf = new Map<Role, string>();

  before(async () => {
    t = await createTestApp();
    await t.reset();
    const app = express();
    app.use(requestScope(t.container));
    app.use(mountRoutes([{ prefix: '', routes: probeRoutes }], () => []));
    app.use(notFoundHandler);
    app.use(errorHandler({ logger: t.container.cradle.logger }));
    probe = supertest(app);
    for (const role of ROLES) {
      const admin = await createAdmin(t.container, { role });
      bearerOf.set(role, `Bearer ${(await signIn(t, admin.login, admin.password)).access_token}`);
    }
  });
  after(() => t.close());

  for (const role of ROLES) {
    it(`when a ${role} calls a route of each permission, then it gets 200 exactly where the matrix grants it and 403 elsewhere`, async () => {
      for (const permission of PERMISSIONS) {
        const response = await probe.get(`/probe/${permission}`).set('Authorization', bearerOf.get(role)!);
        if (hasPermission(role, permission)) {
          expect(response.status, `${role} ${permission}`).to.equal(200);
        } else {
          expect(response.status, `${role} ${permission}`).to.equal(403);
          expect(response.body).to.deep.equal({ detail: 'Insufficient permissions' });
        }
      }
      expect((await probe.get('/probe/any').set('Authorization', bearerOf.get(role)!)).status).to.equal(200);
    });
  }

  it('when no credentials come, then every guarded route answers 401 before anything else', async () => {
    for (const route of probeRoutes) {
      const response = await probe.get(route.path);
      expect(response.status, route.path).to.equal(401);
      expect(response.headers['www-authenticate']).to.equal('Bearer');
    }
  });

  it('when an admin is demoted, then the new role applies on the very next request', async () => {
    const admin = await createAdmin(t.container, { role: 'admin' });
    const { bearer } = await signIn(t, admin.login, admin.password);
    expect((await probe.get('/probe/manage_plans').set(bearer)).status).to.equal(200);
    await t.container.cradle.db('admin_users').where({ id: admin.id }).update({ role: 'viewer' });
    expect((await probe.get('/probe/manage_plans').set(bearer)).status).to.equal(403);
  });
});
