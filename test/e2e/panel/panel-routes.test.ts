import { expect } from 'chai';
import type { Response, Test } from 'supertest';
import { panelRouteTable } from '../../../src/modules/panel/panel-routes.table';
import type { PanelRoute } from '../../../src/modules/panel/panel-route';
import { hasPermission, ROLES, type Role } from '../../../src/shared/permissions';
import { expectCleanBody } from '../../integration/skeleton/helpers';
import { panelSuite, type PanelSuite } from '../../support/panel-suite';

/**
 * Every row of the pass-through table, table-driven: a read or change against the fake panel (which
 * checks each request and reply against the panel's contract), its permission (a role without it:
 * 403 and the panel never called), its audit entry, and its upstream failures (panel down: 502,
 * the panel's own validation refusing: 422).
 */
interface Case {
  path: string;
  query?: Record<string, string>;
  body?: object;
  check(res: Response): unknown;
}

const DAY = '2026-03-02';
const NEXT_DAY = '2026-03-03';

describe('panel pass-through routes', function () {
  this.timeout(60_000);
  let s: PanelSuite;
  const entityTypes = [...new Set(panelRouteTable.flatMap((route) => (route.audit ? [route.audit.entityType] : [])))];

  before(async () => {
    s = await panelSuite();
  });
  after(() => s.close());
  beforeEach(async () => {
    await s.nextCase(...entityTypes);
  });

  const fake = () => s.fake;
  const infra = () => s.fake.infra;
  const admin = () => s.fake.admin;
  const key = (route: PanelRoute) => `${route.method.toUpperCase()} ${route.path}`;

  /** Each case seeds the fake when it is built, so build it inside the test. */
  const cases: Record<string, () => Case> = {
    'GET /config-profiles': () => {
      const profile = infra().seedProfile(2, { config: { inbounds: [{ settings: { privateKey: 'reality-private-key' } }] } });
      return {
        path: '/config-profiles',
        check: (res) => {
          expect(res.body).to.be.an('array').with.length(1);
          expect(res.body[0]).to.have.keys('uuid', 'name', 'view_position', 'inbounds');
          expect(res.body[0].inbounds.map((i: { uuid: string }) => i.uuid)).to.deep.equal(profile.inbounds.map((i) => i.uuid));
          expect(res.text).not.to.include('reality-private-key');
        },
      };
    },
    'POST /config-profiles': () => ({
      path: '/config-profiles',
      body: { name: 'edge profile', config: { inbounds: [], privateKey: 'reality-private-key' } },
      check: async (res) => {
        expect(res.body).to.include({ name: 'edge profile' });
        expect(infra().profiles.find((p) => p.uuid === res.body.uuid)?.config).to.deep.equal({ inbounds: [], privateKey: 'reality-private-key' });
        expect(JSON.stringify(await s.auditOf('config_profile'))).not.to.include('reality-private-key');
      },
    }),
    'POST /squads': () => {
      const inbound = infra().seedProfile(2).inbounds[1]?.uuid as string;
      return {
        path: '/squads',
        body: { name: 'europe', inbound_uuids: [inbound] },
        check: (res) => {
          expect(res.body).to.include({ name: 'europe', inbounds_count: 1, members_count: 0 });
          expect(res.body.inbound_uuids).to.deep.equal([inbound]);
          expect(admin().squads.get(res.body.uuid)?.inbounds).to.deep.equal([inbound]);
        },
      };
    },
    'GET /squads/internal': () => {
      const squad = admin().seedSquad({ name: 'asia', membersCount: 3 });
      return { path: '/squads/internal', check: (res) => expect(res.body).to.deep.equal([{ uuid: squad.uuid, name: 'asia', view_position: 1, members_count: 3, inbounds_count: 0, inbound_uuids: [] }]) };
    },
    'GET /squads/external': () => {
      const uuid = '5d3c8f0e-8d1a-4a5b-9c1e-2f3a4b5c6d7e';
      admin().externalSquads.set(uuid, { uuid, name: 'partners' });
      return { path: '/squads/external', check: (res) => expect(res.body).to.deep.equal([{ uuid, name: 'partners', view_position: 1, members_count: 0 }]) };
    },
    'GET /snippets': () => {
      admin().snippets.set('block ads', [{ tag: 'block', protocol: 'blackhole' }]);
      return { path: '/snippets', check: (res) => expect(res.body).to.deep.equal([{ name: 'block ads', snippet: [{ tag: 'block', protocol: 'blackhole' }] }]) };
    },
    'POST /snippets': () => ({
      path: '/snippets',
      body: { name: 'routing/direct', snippet: [{ outboundTag: 'direct' }] },
      check: (res) => {
        expect(res.body).to.deep.equal({ name: 'routing/direct', snippet: [{ outboundTag: 'direct' }] });
        expect(admin().snippets.get('routing/direct')).to.deep.equal([{ outboundTag: 'direct' }]);
      },
    }),
    'GET /settings': () => ({
      path: '/settings',
      check: (res) => {
        expect(res.body).to.include({ id: admin().settings.uuid, randomize_hosts: false, is_show_custom_remarks: true, hwid_settings: null });
        expect(res.body.custom_remarks).to.deep.include({ expired_users: ['expired'], hwid_not_supported: ['no hwid'] });
      },
    }),
    'POST /settings': () => ({
      path: '/settings',
      body: { id: admin().settings.uuid, randomize_hosts: true, serve_json_at_base_subscription: true, is_show_custom_remarks: false, custom_response_headers: { 'x-brand': 'cyber' } },
      check: async (res) => {
        expect(res.body).to.include({ randomize_hosts: true });
        expect(admin().settings).to.include({ randomizeHosts: true, serveJsonAtBaseSubscription: true, isShowCustomRemarks: false });
        expect(admin().settings.customResponseHeaders).to.deep.equal({ 'x-brand': 'cyber' });
        expect((await s.auditOf('subscription_settings'))[0]?.new_value).to.include({ randomize_hosts: true });
      },
    }),
    'PUT /settings/:id': () => ({
      path: `/settings/${admin().settings.uuid}`,
      body: {
        hwid_settings: { enabled: true, fallback_device_limit: 3, max_devices_announce: null },
        custom_remarks: { expired_users: ['renew'], limited_users: ['l'], disabled_users: ['d'], empty_hosts: ['e'], hwid_max_devices_exceeded: ['m'], hwid_not_supported: ['n'] },
      },
      check: (res) => {
        expect(res.body.hwid_settings).to.deep.equal({ enabled: true, fallback_device_limit: 3, max_devices_announce: null });
        expect(admin().settings.hwidSettings).to.deep.equal({ enabled: true, fallbackDeviceLimit: 3, maxDevicesAnnounce: null });
        expect(admin().settings.customRemarks.expiredUsers).to.deep.equal(['renew']);
      },
    }),
    'GET /subscriptions': () => {
      const template = admin().seedTemplate({ name: 'singbox', templateType: 'SINGBOX', templateJson: { dns: {} } });
      return {
        path: '/subscriptions',
        check: (res) => expect(res.body).to.deep.equal([{ uuid: template.uuid, name: 'singbox', view_position: 1, template_type: 'SINGBOX', template_json: { dns: {} }, encoded_template_yaml: null }]),
      };
    },
    'POST /subscriptions': () => ({
      path: '/subscriptions',
      body: { name: 'mihomo default', template_type: 'MIHOMO' },
      check: (res) => {
        expect(res.body).to.include({ name: 'mihomo default', template_type: 'MIHOMO' });
        expect(admin().templates.get(res.body.uuid)?.templateType).to.equal('MIHOMO');
      },
    }),
    'PUT /subscriptions/:uuid': () => {
      const template = admin().seedTemplate();
      return {
        path: `/subscriptions/${template.uuid}`,
        body: { name: 'renamed', template_json: { log: { level: 'none' } } },
        check: (res) => {
          expect(res.body).to.include({ uuid: template.uuid, name: 'renamed' });
          expect(admin().templates.get(template.uuid)?.templateJson).to.deep.equal({ log: { level: 'none' } });
        },
      };
    },
    'DELETE /subscriptions/:uuid': () => {
      const template = admin().seedTemplate();
      return { path: `/subscriptions/${template.uuid}`, check: () => expect(admin().templates.has(template.uuid)).to.equal(false) };
    },
    'GET /xray/config': () => {
      infra().seedProfile(1, { viewPosition: 2, config: { log: { loglevel: 'debug' } } });
      const first = infra().seedProfile(1, { viewPosition: 1, config: { log: { loglevel: 'warning' } } });
      return { path: '/xray/config', check: (res) => expect(res.body).to.deep.equal({ profile_uuid: first.uuid, name: first.name, config: { log: { loglevel: 'warning' } } }) };
    },
    'POST /xray/update-config': () => {
      const profile = infra().seedProfile(1);
      return {
        path: '/xray/update-config',
        body: { profile_uuid: profile.uuid, config: { log: { loglevel: 'error' }, inbounds: [] } },
        check: (res) => {
          expect(res.body).to.deep.equal({ profile_uuid: profile.uuid, name: profile.name, config: { log: { loglevel: 'error' }, inbounds: [] } });
          expect(profile.config).to.deep.equal({ log: { loglevel: 'error' }, inbounds: [] });
        },
      };
    },
    'GET /node-plugins': () => {
      const plugin = admin().seedPlugin({ name: 'torrent blocker', pluginConfig: { enabled: true } });
      return { path: '/node-plugins', check: (res) => expect(res.body).to.deep.equal([{ uuid: plugin.uuid, name: 'torrent blocker', view_position: 1, plugin_config: { enabled: true } }]) };
    },
    'POST /node-plugins': () => ({
      path: '/node-plugins',
      body: { name: 'ip blocker' },
      check: (res) => {
        expect(res.body).to.include({ name: 'ip blocker', plugin_config: null });
        expect(admin().plugins.has(res.body.uuid)).to.equal(true);
      },
    }),
    'PUT /node-plugins/:uuid': () => {
      const plugin = admin().seedPlugin();
      return {
        path: `/node-plugins/${plugin.uuid}`,
        body: { plugin_config: { blockDuration: 600 } },
        check: (res) => {
          expect(res.body.plugin_config).to.deep.equal({ blockDuration: 600 });
          expect(admin().plugins.get(plugin.uuid)?.pluginConfig).to.deep.equal({ blockDuration: 600 });
        },
      };
    },
    'DELETE /node-plugins/:uuid': () => {
      const plugin = admin().seedPlugin();
      return { path: `/node-plugins/${plugin.uuid}`, check: () => expect(admin().plugins.has(plugin.uuid)).to.equal(false) };
    },
    'POST /node-plugins/clone': () => {
      const plugin = admin().seedPlugin({ name: 'base', pluginConfig: { a: 1 } });
      return {
        path: '/node-plugins/clone',
        body: { clone_from_uuid: plugin.uuid },
        check: (res) => {
          expect(res.body.uuid).not.to.equal(plugin.uuid);
          expect(res.body).to.deep.include({ name: 'base copy', plugin_config: { a: 1 } });
        },
      };
    },
    'POST /node-plugins/execute': () => {
      const node = infra().seedNode();
      return {
        path: '/node-plugins/execute',
        body: { command: { command: 'blockIps', ips: [{ ip: '203.0.113.7', timeout: 3600 }] }, target_nodes: { target: 'specificNodes', node_uuids: [node.uuid] } },
        check: (res) => {
          expect(res.text).to.equal('');
          expect(admin().executed).to.deep.equal([{ command: { command: 'blockIps', ips: [{ ip: '203.0.113.7', timeout: 3600 }] }, targetNodes: { target: 'specificNodes', nodeUuids: [node.uuid] } }]);
        },
      };
    },
    'GET /servers/:uuid/usage': () => {
      const node = infra().seedNode();
      const user = fake().seedUser({ username: 'heavy' });
      admin().usage.push({ userId: user.id, nodeUuid: node.uuid, day: DAY, bytes: 700 }, { userId: user.id, nodeUuid: node.uuid, day: NEXT_DAY, bytes: 300 });
      return {
        path: `/servers/${node.uuid}/usage`,
        query: { start: DAY, end: NEXT_DAY },
        check: (res) => expect(res.body).to.deep.equal({ days: [DAY, NEXT_DAY], bytes_per_day: [700, 300], top_users: [{ username: 'heavy', bytes: 1000 }] }),
      };
    },
    'GET /users/:id/usage': () => {
      const node = infra().seedNode({ name: 'fra-1', countryCode: 'DE' });
      const user = fake().seedUser();
      admin().usage.push({ userId: user.id, nodeUuid: node.uuid, day: NEXT_DAY, bytes: 42 });
      return {
        path: `/users/${user.id}/usage`,
        query: { start: DAY, end: NEXT_DAY },
        check: (res) =>
          expect(res.body).to.deep.equal({ days: [DAY, NEXT_DAY], bytes_per_day: [0, 42], servers: [{ uuid: node.uuid, name: 'fra-1', country_code: 'DE', bytes: 42, bytes_per_day: [0, 42] }] }),
      };
    },
  };

  const send = (route: PanelRoute, c: Case, credentials?: Record<string, string>): Test => {
    let call = (s.t.http as unknown as Record<string, (path: string) => Test>)[route.method]!(`/api/v1${c.path}`);
    if (credentials) call = call.set(credentials);
    if (c.query) call = call.query(c.query);
    return c.body ? call.send(c.body) : call;
  };
  /** The most privileged role the matrix denies this permission, if any. */
  const deniedRole = (route: PanelRoute): Role | undefined => [...ROLES].reverse().find((role) => !hasPermission(role, route.access));

  it('when the table is listed, then every row has a case here (a new row needs its test)', () => {
    expect(panelRouteTable.map(key)).to.have.members(Object.keys(cases));
  });

  for (const route of panelRouteTable) {
    describe(key(route), () => {
      it(`when called with ${route.access}, then the panel's command answers ${route.status}${route.audit ? `, audited ${route.audit.action}` : ''}`, async () => {
        const c = cases[key(route)]!();
        const allowed = ROLES.find((role) => hasPermission(role, route.access)) as Role;
        const res = await send(route, c, s.as[allowed].bearer);
        expect(res.status, res.text).to.equal(route.status);
        await c.check(res);
        if (route.audit) {
          const entries = await s.auditOf(route.audit.entityType);
          expect(entries.map((e) => e.action)).to.deep.equal([route.audit.action]);
          expect(entries[0]?.admin_id).to.equal(s.as[allowed].id);
        }
        expect(fake().violations).to.deep.equal([]);
      });

      const denied = deniedRole(route);
      if (denied) {
        it(`when called as ${denied} (no ${route.access}), then 403 and the panel is never called`, async () => {
          const res = await send(route, cases[key(route)]!(), s.as[denied].bearer);
          expect(res.status).to.equal(403);
          expect(res.body).to.deep.equal({ detail: 'Insufficient permissions' });
          expect(fake().requests).to.have.length(0);
        });
      }

      it('when called without credentials, then 401 and the panel is never called', async () => {
        const res = await send(route, cases[key(route)]!());
        expect(res.status).to.equal(401);
        expect(fake().requests).to.have.length(0);
      });

      for (const [mode, status] of [['server_error', 502], ['rejected', 422]] as const) {
        it(`when the panel ${mode === 'server_error' ? 'is down (500)' : 'refuses the values (its validation)'}, then ${status}, nothing of it in the body and nothing audited`, async () => {
          const c = cases[key(route)]!();
          fake().failAlways(mode);
          const res = await send(route, c, s.as.super_admin.bearer);
          expect(res.status).to.equal(status);
          expect(res.body).to.deep.equal({ detail: status === 502 ? 'Upstream service unavailable' : 'The VPN panel refused these values' });
          expectCleanBody(res, ['A001', 'db.panel.internal', 'expireAt']);
          if (route.audit) expect(await s.auditOf(route.audit.entityType)).to.have.length(0);
        });
      }
    });
  }

  describe('what the rows add to the client\'s error mapping', () => {
    const missing = '8a6c1d7e-1f1e-4c59-9d57-8b0c52bb1111';

    it('when a template, plugin, profile or server is missing, then 404 "<Entity> not found" with no panel code', async () => {
      const probes: [string, string, object | undefined, string][] = [
        ['put', `/subscriptions/${missing}`, { name: 'x1' }, 'Subscription template not found'],
        ['delete', `/node-plugins/${missing}`, undefined, 'Node plugin not found'],
        ['post', '/xray/update-config', { profile_uuid: missing, config: {} }, 'Config profile not found'],
        ['get', `/xray/config?profile_uuid=${missing}`, undefined, 'Config profile not found'],
        ['get', `/servers/${missing}/usage?start=${DAY}&end=${DAY}`, undefined, 'Server not found'],
        ['get', `/users/9999/usage?start=${DAY}&end=${DAY}`, undefined, 'VPN user not found'],
      ];
      for (const [method, path, body, detail] of probes) {
        const call = (s.t.http as unknown as Record<string, (p: string) => Test>)[method]!(`/api/v1${path}`).set(s.as.super_admin.bearer);
        const res = await (body ? call.send(body) : call);
        expect(res.status, path).to.equal(404);
        expect(res.body).to.deep.equal({ detail });
        expectCleanBody(res, ['A170', 'A220', 'A111', 'A011', 'A025']);
      }
    });

    it('when no config profile exists, then GET /xray/config is 404', async () => {
      const res = await s.t.http.get('/api/v1/xray/config').set(s.as.admin.bearer);
      expect(res.status).to.equal(404);
      expect(res.body).to.deep.equal({ detail: 'Config profile not found' });
    });

    it('when a config profile or squad name is taken (the panel\'s 409), then 409 "<Entity> already exists"', async () => {
      infra().seedProfile(0, { name: 'taken' });
      admin().seedSquad({ name: 'taken' });
      const profile = await s.t.http.post('/api/v1/config-profiles').set(s.as.admin.bearer).send({ name: 'taken', config: {} });
      expect(profile.status).to.equal(409);
      expect(profile.body).to.deep.equal({ detail: 'Config profile already exists' });
      const squad = await s.t.http.post('/api/v1/squads').set(s.as.admin.bearer).send({ name: 'taken' });
      expect(squad.status).to.equal(409);
      expect(squad.body).to.deep.equal({ detail: 'Squad already exists' });
    });

    it('when bodies break the panel\'s own rules, then 422 from our validation and the panel is never called', async () => {
      const bad: [string, string, object][] = [
        ['post', '/config-profiles', { name: 'a', config: {} }],
        ['post', '/config-profiles', { name: 'bad/name', config: {} }],
        ['post', '/config-profiles', { name: 'ok name', config: [] }],
        ['post', '/snippets', { name: 'x', snippet: [] }],
        ['post', '/subscriptions', { name: 'ok name', template_type: 'WIREGUARD' }],
        ['post', '/settings', { randomize_hosts: true }],
        ['put', `/settings/${missing}`, { custom_remarks: { expired_users: [] } }],
        ['put', `/settings/${missing}`, { custom_response_headers: { 'bad header': 'x' } }],
        ['post', '/node-plugins/execute', { command: { command: 'blockIps' }, target_nodes: { target: 'allNodes' } }],
        ['post', '/node-plugins/execute', { command: { command: 'recreateTables' }, target_nodes: { target: 'specificNodes' } }],
        ['post', '/node-plugins/execute', { command: { command: 'unblockIps', ips: ['not-an-ip'] }, target_nodes: { target: 'allNodes' } }],
        ['post', '/squads', { name: 'ok name', inbound_uuids: ['8a6c1d7e-1f1e-0c59-9d57-8b0c52bb1111'] }],
      ];
      for (const [method, path, body] of bad) {
        const res = await (s.t.http as unknown as Record<string, (p: string) => Test>)[method]!(`/api/v1${path}`).set(s.as.super_admin.bearer).send(body);
        expect(res.status, `${path} ${JSON.stringify(body)}`).to.equal(422);
        expect(res.body.detail).to.be.an('array');
      }
      for (const query of [`start=${NEXT_DAY}&end=${DAY}`, 'start=2020-01-01&end=2022-01-01', `start=${DAY}`, 'start=12026-01-01&end=12026-01-02']) {
        const res = await s.t.http.get(`/api/v1/servers/${missing}/usage?${query}`).set(s.as.admin.bearer);
        expect(res.status, query).to.equal(422);
      }
      expect(fake().requests).to.have.length(0);
    });

    it('when executing on every node, then the panel gets the allNodes target without node uuids', async () => {
      const res = await s.t.http
        .post('/api/v1/node-plugins/execute')
        .set(s.as.operator.bearer)
        .send({ command: { command: 'unblockIps', ips: ['2001:db8::1'] }, target_nodes: { target: 'allNodes' } });
      expect(res.status).to.equal(202);
      expect(admin().executed).to.deep.equal([{ command: { command: 'unblockIps', ips: ['2001:db8::1'] }, targetNodes: { target: 'allNodes' } }]);
    });

    it('when the panel\'s create-snippet reply lacks the new snippet, then 502 and nothing audited', async () => {
      const original = admin().snippets.set.bind(admin().snippets);
      // A panel that answers the list without storing: the reply no longer holds what was made.
      admin().snippets.set = () => admin().snippets;
      try {
        const res = await s.t.http.post('/api/v1/snippets').set(s.as.admin.bearer).send({ name: 'vanishing', snippet: [] });
        expect(res.status).to.equal(502);
        expect(await s.auditOf('snippet')).to.have.length(0);
      } finally {
        admin().snippets.set = original;
      }
    });

    it('when the panel answers a reply without the fields we pass on, then 502', async () => {
      fake().failAlways('bad_shape');
      const res = await s.t.http.get('/api/v1/node-plugins').set(s.as.viewer.bearer);
      expect(res.status).to.equal(502);
      expect(res.body).to.deep.equal({ detail: 'Upstream service unavailable' });
    });
  });
});
