import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
// AGPL-3.0, tests only (see test/fakes/remnawave.ts).
import {
  CloneNodePluginCommand,
  CreateConfigProfileCommand,
  CreateInternalSquadCommand,
  CreateNodePluginCommand,
  CreateSnippetCommand,
  CreateSubscriptionTemplateCommand,
  DeleteNodePluginCommand,
  DeleteSubscriptionTemplateCommand,
  GetExternalSquadsCommand,
  GetInternalSquadsCommand,
  GetNodePluginsCommand,
  GetSnippetsCommand,
  GetStatsNodeUsersUsageCommand,
  GetStatsUserUsageCommand,
  GetSubscriptionSettingsCommand,
  GetSubscriptionTemplatesCommand,
  PluginExecutorCommand,
  UpdateConfigProfileCommand,
  UpdateNodePluginCommand,
  UpdateSubscriptionSettingsCommand,
  UpdateSubscriptionTemplateCommand,
} from '@remnawave/backend-contract';
import type { FakeRemnawave, PanelRequest, ZodLike } from './remnawave';
import type { FakePanelInfra } from './remnawave-infra';

/**
 * The fake panel's admin commands behind the pass-through routes: config profile changes,
 * squads, snippets, subscription settings and templates, node plugins and usage statistics.
 * Every request and reply is checked against the contract, as for the other endpoints.
 */
export interface StoredSquad {
  uuid: string;
  name: string;
  inbounds: string[];
  membersCount: number;
}
export interface StoredTemplate {
  uuid: string;
  name: string;
  templateType: 'XRAY_JSON' | 'XRAY_BASE64' | 'MIHOMO' | 'STASH' | 'CLASH' | 'SINGBOX';
  templateJson: Record<string, unknown> | null;
  encodedTemplateYaml: string | null;
}
export interface StoredPlugin {
  uuid: string;
  name: string;
  pluginConfig: unknown;
}
type Command = { ResponseSchema: ZodLike; RequestBodySchema?: ZodLike };

const NOT_FOUND = {
  profile: { status: 404, message: 'Config profile not found', errorCode: 'A111' },
  template: { status: 404, message: 'Subscription template not found', errorCode: 'A170' },
  plugin: { status: 404, message: 'Node plugin not found', errorCode: 'A220' },
  settings: { status: 404, message: 'Subscription settings not found', errorCode: 'A071' },
  node: { status: 404, message: 'Node not found', errorCode: 'A011' },
  user: { status: 404, message: 'User not found', errorCode: 'A025' },
} as const;
const EXISTS = {
  profile: { status: 409, message: 'Config profile name already exists', errorCode: 'A114' },
  squad: { status: 409, message: 'Internal squad name already exists', errorCode: 'A120' },
  snippet: { status: 400, message: 'Snippet name already exists', errorCode: 'A164' },
} as const;

const now = () => new Date().toISOString();
const remarks = (text: string) => [text];

export class FakePanelAdmin {
  readonly squads = new Map<string, StoredSquad>();
  readonly externalSquads = new Map<string, { uuid: string; name: string }>();
  readonly snippets = new Map<string, Record<string, unknown>[]>();
  readonly templates = new Map<string, StoredTemplate>();
  readonly plugins = new Map<string, StoredPlugin>();
  /** The panel's one settings record, in its own shape (without dates). */
  settings = FakePanelAdmin.defaultSettings();
  /** What PluginExecutorCommand received, in order. */
  readonly executed: unknown[] = [];
  /** Bytes per user per node per UTC day: what both usage statistics read. */
  readonly usage: { userId: number; nodeUuid: string; day: string; bytes: number }[] = [];

  constructor(
    private readonly panel: FakeRemnawave,
    private readonly infra: FakePanelInfra,
  ) {}

  static defaultSettings() {
    return {
      uuid: randomUUID(),
      serveJsonAtBaseSubscription: false,
      isShowCustomRemarks: true,
      randomizeHosts: false,
      customRemarks: {
        expiredUsers: remarks('expired'),
        limitedUsers: remarks('limited'),
        disabledUsers: remarks('disabled'),
        emptyHosts: remarks('no hosts'),
        HWIDMaxDevicesExceeded: remarks('too many devices'),
        HWIDNotSupported: remarks('no hwid'),
      },
      customResponseHeaders: null as Record<string, string> | null,
      responseRules: null,
      hwidSettings: null as { enabled: boolean; fallbackDeviceLimit: number; maxDevicesAnnounce: string | null } | null,
    };
  }

  clear(): void {
    for (const map of [this.squads, this.externalSquads, this.snippets, this.templates, this.plugins]) map.clear();
    this.settings = FakePanelAdmin.defaultSettings();
    this.executed.length = 0;
    this.usage.length = 0;
  }

  seedTemplate(overrides: Partial<StoredTemplate> = {}): StoredTemplate {
    const template: StoredTemplate = { uuid: randomUUID(), name: `template-${this.templates.size + 1}`, templateType: 'XRAY_JSON', templateJson: null, encodedTemplateYaml: null, ...overrides };
    this.templates.set(template.uuid, template);
    return template;
  }

  seedPlugin(overrides: Partial<StoredPlugin> = {}): StoredPlugin {
    const plugin: StoredPlugin = { uuid: randomUUID(), name: `plugin-${this.plugins.size + 1}`, pluginConfig: null, ...overrides };
    this.plugins.set(plugin.uuid, plugin);
    return plugin;
  }

  seedSquad(overrides: Partial<StoredSquad> = {}): StoredSquad {
    const squad: StoredSquad = { uuid: randomUUID(), name: `squad-${this.squads.size + 1}`, inbounds: [], membersCount: 0, ...overrides };
    this.squads.set(squad.uuid, squad);
    return squad;
  }

  /** True when the request was one of these endpoints (answered). */
  route(request: PanelRequest, res: ServerResponse): boolean {
    const { method, path } = request;
    const template = /^\/api\/subscription-templates\/([^/]+)$/.exec(path);
    const plugin = /^\/api\/node-plugins\/([^/]+)$/.exec(path);
    const nodeUsers = /^\/api\/bandwidth-stats\/nodes\/([^/]+)\/users$/.exec(path);
    const userUsage = /^\/api\/bandwidth-stats\/users\/([^/]+)$/.exec(path);
    const on = (wanted: string, exact: string) => method === wanted && path === exact;

    if (on('POST', '/api/config-profiles')) this.createProfile(request, res);
    else if (on('PATCH', '/api/config-profiles')) this.updateProfile(request, res);
    else if (on('GET', '/api/internal-squads')) this.reply(request, res, GetInternalSquadsCommand, { total: this.squads.size, internalSquads: [...this.squads.values()].map((s) => this.squadShape(s)) });
    else if (on('POST', '/api/internal-squads')) this.createSquad(request, res);
    else if (on('GET', '/api/external-squads')) this.externalSquadList(request, res);
    else if (on('GET', '/api/snippets')) this.reply(request, res, GetSnippetsCommand, this.snippetList());
    else if (on('POST', '/api/snippets')) this.createSnippet(request, res);
    else if (on('GET', '/api/subscription-settings')) this.reply(request, res, GetSubscriptionSettingsCommand, this.settingsShape());
    else if (on('PATCH', '/api/subscription-settings')) this.updateSettings(request, res);
    else if (on('GET', '/api/subscription-templates')) this.reply(request, res, GetSubscriptionTemplatesCommand, { total: this.templates.size, templates: [...this.templates.values()].map((t) => this.templateShape(t)) });
    else if (on('POST', '/api/subscription-templates')) this.createTemplate(request, res);
    else if (on('PATCH', '/api/subscription-templates')) this.updateTemplate(request, res);
    else if (method === 'DELETE' && template) this.remove(request, res, DeleteSubscriptionTemplateCommand, template[1], this.templates, NOT_FOUND.template);
    else if (on('GET', '/api/node-plugins')) this.reply(request, res, GetNodePluginsCommand, { total: this.plugins.size, nodePlugins: [...this.plugins.values()].map((p) => this.pluginShape(p)) });
    else if (on('POST', '/api/node-plugins')) this.createPlugin(request, res);
    else if (on('PATCH', '/api/node-plugins')) this.updatePlugin(request, res);
    else if (method === 'DELETE' && plugin) this.remove(request, res, DeleteNodePluginCommand, plugin[1], this.plugins, NOT_FOUND.plugin);
    else if (on('POST', '/api/node-plugins/actions/clone')) this.clonePlugin(request, res);
    else if (on('POST', '/api/node-plugins/executor')) this.execute(request, res);
    else if (method === 'GET' && nodeUsers) this.nodeUsersUsage(request, res, nodeUsers[1] as string);
    else if (method === 'GET' && userUsage) this.userUsage(request, res, userUsage[1] as string);
    else return false;
    return true;
  }

  /** The body checked against the command's schema, or undefined (answered as the panel's zod pipe does). */
  private bodyOf<T>(request: PanelRequest, res: ServerResponse, command: { RequestBodySchema: ZodLike }): T | undefined {
    const parsed = command.RequestBodySchema.safeParse(request.body) as { success: boolean; data?: T; error?: { message: string } };
    if (!parsed.success) {
      this.panel.invalid(request, res, `body: ${parsed.error?.message ?? 'invalid'}`);
      return undefined;
    }
    return parsed.data;
  }

  private reply(request: PanelRequest, res: ServerResponse, command: Command, response: unknown, status = 200): void {
    this.panel.reply(res, request, status, command, { response });
  }

  private createProfile(request: PanelRequest, res: ServerResponse): void {
    const body = this.bodyOf<{ name: string; config: Record<string, unknown> }>(request, res, CreateConfigProfileCommand);
    if (!body) return;
    if (this.infra.profiles.some((p) => p.name === body.name)) return this.panel.error(res, request, EXISTS.profile);
    const profile = this.infra.seedProfile(0, { name: body.name, config: body.config });
    this.reply(request, res, CreateConfigProfileCommand, this.infra.profileShape(profile), 201);
  }

  private updateProfile(request: PanelRequest, res: ServerResponse): void {
    const body = this.bodyOf<{ uuid: string; name?: string; config?: Record<string, unknown> }>(request, res, UpdateConfigProfileCommand);
    if (!body) return;
    const profile = this.infra.profiles.find((p) => p.uuid === body.uuid);
    if (!profile) return this.panel.error(res, request, NOT_FOUND.profile);
    if (body.name !== undefined) profile.name = body.name;
    if (body.config !== undefined) profile.config = body.config;
    this.reply(request, res, UpdateConfigProfileCommand, this.infra.profileShape(profile));
  }

  private createSquad(request: PanelRequest, res: ServerResponse): void {
    const body = this.bodyOf<{ name: string; inbounds: string[] }>(request, res, CreateInternalSquadCommand);
    if (!body) return;
    if ([...this.squads.values()].some((s) => s.name === body.name)) return this.panel.error(res, request, EXISTS.squad);
    const known = new Set(this.infra.profiles.flatMap((p) => p.inbounds.map((i) => i.uuid)));
    const squad = this.seedSquad({ name: body.name, inbounds: body.inbounds.filter((uuid) => known.has(uuid)) });
    this.reply(request, res, CreateInternalSquadCommand, this.squadShape(squad), 201);
  }

  private externalSquadList(request: PanelRequest, res: ServerResponse): void {
    const externalSquads = [...this.externalSquads.values()].map((squad, i) => ({
      ...squad,
      viewPosition: i + 1,
      tags: [],
      info: { membersCount: 0 },
      templates: [],
      subscriptionSettings: null,
      hostOverrides: null,
      responseHeadersAdd: {},
      responseHeadersRemove: [],
      hwidSettings: null,
      customRemarks: null,
      subpageConfigUuid: null,
      createdAt: now(),
      updatedAt: now(),
    }));
    this.reply(request, res, GetExternalSquadsCommand, { total: externalSquads.length, externalSquads });
  }

  private snippetList() {
    return { total: this.snippets.size, snippets: [...this.snippets.entries()].map(([name, snippet]) => ({ name, snippet })) };
  }

  private createSnippet(request: PanelRequest, res: ServerResponse): void {
    const body = this.bodyOf<{ name: string; snippet: Record<string, unknown>[] }>(request, res, CreateSnippetCommand);
    if (!body) return;
    if (this.snippets.has(body.name)) return this.panel.error(res, request, EXISTS.snippet);
    this.snippets.set(body.name, body.snippet);
    this.reply(request, res, CreateSnippetCommand, this.snippetList(), 201);
  }

  private settingsShape() {
    return { ...this.settings, createdAt: now(), updatedAt: now() };
  }

  private updateSettings(request: PanelRequest, res: ServerResponse): void {
    const body = this.bodyOf<Record<string, unknown> & { uuid: string }>(request, res, UpdateSubscriptionSettingsCommand);
    if (!body) return;
    if (body.uuid !== this.settings.uuid) return this.panel.error(res, request, NOT_FOUND.settings);
    Object.assign(this.settings, body);
    this.reply(request, res, UpdateSubscriptionSettingsCommand, this.settingsShape());
  }

  private createTemplate(request: PanelRequest, res: ServerResponse): void {
    const body = this.bodyOf<{ name: string; templateType: StoredTemplate['templateType'] }>(request, res, CreateSubscriptionTemplateCommand);
    if (!body) return;
    const template = this.seedTemplate({ name: body.name, templateType: body.templateType });
    this.reply(request, res, CreateSubscriptionTemplateCommand, this.templateShape(template), 201);
  }

  private updateTemplate(request: PanelRequest, res: ServerResponse): void {
    const body = this.bodyOf<{ uuid: string; name?: string; templateJson?: Record<string, unknown>; encodedTemplateYaml?: string }>(request, res, UpdateSubscriptionTemplateCommand);
    if (!body) return;
    const template = this.templates.get(body.uuid);
    if (!template) return this.panel.error(res, request, NOT_FOUND.template);
    if (body.name !== undefined) template.name = body.name;
    if (body.templateJson !== undefined) template.templateJson = body.templateJson;
    if (body.encodedTemplateYaml !== undefined) template.encodedTemplateYaml = body.encodedTemplateYaml;
    this.reply(request, res, UpdateSubscriptionTemplateCommand, this.templateShape(template));
  }

  private createPlugin(request: PanelRequest, res: ServerResponse): void {
    const body = this.bodyOf<{ name: string }>(request, res, CreateNodePluginCommand);
    if (!body) return;
    this.reply(request, res, CreateNodePluginCommand, this.pluginShape(this.seedPlugin({ name: body.name })), 201);
  }

  private updatePlugin(request: PanelRequest, res: ServerResponse): void {
    const body = this.bodyOf<{ uuid: string; name?: string; pluginConfig?: unknown }>(request, res, UpdateNodePluginCommand);
    if (!body) return;
    const plugin = this.plugins.get(body.uuid);
    if (!plugin) return this.panel.error(res, request, NOT_FOUND.plugin);
    if (body.name !== undefined) plugin.name = body.name;
    if ('pluginConfig' in body) plugin.pluginConfig = body.pluginConfig ?? null;
    this.reply(request, res, UpdateNodePluginCommand, this.pluginShape(plugin));
  }

  private clonePlugin(request: PanelRequest, res: ServerResponse): void {
    const body = this.bodyOf<{ cloneFromUuid: string }>(request, res, CloneNodePluginCommand);
    if (!body) return;
    const source = this.plugins.get(body.cloneFromUuid);
    if (!source) return this.panel.error(res, request, NOT_FOUND.plugin);
    const copy = this.seedPlugin({ name: `${source.name.slice(0, 24)} copy`, pluginConfig: source.pluginConfig });
    this.reply(request, res, CloneNodePluginCommand, this.pluginShape(copy), 201);
  }

  /** The contract gives the executor no reply schema; the panel answers that the event was sent. */
  private execute(request: PanelRequest, res: ServerResponse): void {
    const body = this.bodyOf<unknown>(request, res, PluginExecutorCommand);
    if (body === undefined) return;
    this.executed.push(body);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ response: { eventSent: true } }));
  }

  private remove<T>(request: PanelRequest, res: ServerResponse, command: { RequestParamSchema: ZodLike }, uuid: string | undefined, store: Map<string, T>, missing: (typeof NOT_FOUND)[keyof typeof NOT_FOUND]): void {
    if (!this.panel.conforms(`${request.method} ${request.path} params`, command.RequestParamSchema, { uuid })) return this.panel.invalid(request, res, 'params');
    if (!uuid || !store.delete(uuid)) return this.panel.error(res, request, missing);
    res.writeHead(204).end();
  }

  private daysOf(request: PanelRequest, res: ServerResponse, command: { RequestQuerySchema: ZodLike }): string[] | undefined {
    const parsed = command.RequestQuerySchema.safeParse(request.query) as { success: boolean; data?: { start: string; end: string }; error?: { message: string } };
    if (!parsed.success || !parsed.data) {
      this.panel.invalid(request, res, `query: ${parsed.error?.message ?? 'invalid'}`);
      return undefined;
    }
    const days: string[] = [];
    for (let day = Date.parse(`${parsed.data.start}T00:00:00Z`); day <= Date.parse(`${parsed.data.end}T00:00:00Z`); day += 86_400_000) days.push(new Date(day).toISOString().slice(0, 10));
    return days;
  }

  private nodeUsersUsage(request: PanelRequest, res: ServerResponse, uuid: string): void {
    if (!this.panel.conforms(`${request.method} ${request.path} params`, GetStatsNodeUsersUsageCommand.RequestParamSchema, { uuid })) return this.panel.invalid(request, res, 'params');
    const days = this.daysOf(request, res, GetStatsNodeUsersUsageCommand);
    if (!days) return;
    if (!this.infra.nodes.has(uuid)) return this.panel.error(res, request, NOT_FOUND.node);
    const rows = this.usage.filter((row) => row.nodeUuid === uuid && days.includes(row.day));
    const totals = new Map<number, number>();
    for (const row of rows) totals.set(row.userId, (totals.get(row.userId) ?? 0) + row.bytes);
    this.reply(request, res, GetStatsNodeUsersUsageCommand, {
      categories: days,
      sparklineData: days.map((day) => rows.filter((row) => row.day === day).reduce((sum, row) => sum + row.bytes, 0)),
      topUsers: [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([userId, total]) => ({ color: '#3366ff', username: this.panel.user(userId)?.username ?? `user_${userId}`, total })),
    });
  }

  private userUsage(request: PanelRequest, res: ServerResponse, rawId: string): void {
    if (!this.panel.conforms(`${request.method} ${request.path} params`, GetStatsUserUsageCommand.RequestParamSchema, { userId: rawId })) return this.panel.invalid(request, res, 'params');
    const days = this.daysOf(request, res, GetStatsUserUsageCommand);
    if (!days) return;
    const userId = Number(rawId);
    if (!this.panel.user(userId)) return this.panel.error(res, request, NOT_FOUND.user);
    const rows = this.usage.filter((row) => row.userId === userId && days.includes(row.day));
    const series = [...new Set(rows.map((row) => row.nodeUuid))].map((nodeUuid) => {
      const node = this.infra.nodes.get(nodeUuid);
      const data = days.map((day) => rows.filter((row) => row.nodeUuid === nodeUuid && row.day === day).reduce((sum, row) => sum + row.bytes, 0));
      return { uuid: nodeUuid, name: node?.name ?? 'node', color: '#3366ff', countryCode: node?.countryCode ?? 'XX', total: data.reduce((a, b) => a + b, 0), data };
    });
    this.reply(request, res, GetStatsUserUsageCommand, {
      categories: days,
      sparklineData: days.map((_, i) => series.reduce((sum, node) => sum + (node.data[i] ?? 0), 0)),
      topNodes: series.map(({ data: _data, ...node }) => node),
      series,
    });
  }

  private squadShape(squad: StoredSquad): Record<string, unknown> {
    const inbounds = this.infra.profiles.flatMap((p) => p.inbounds).filter((i) => squad.inbounds.includes(i.uuid));
    return {
      uuid: squad.uuid,
      viewPosition: [...this.squads.keys()].indexOf(squad.uuid) + 1,
      name: squad.name,
      tags: [],
      info: { membersCount: squad.membersCount, inboundsCount: inbounds.length },
      inbounds: inbounds.map((i) => ({ ...i, rawInbound: null })),
      createdAt: now(),
      updatedAt: now(),
    };
  }

  private templateShape(template: StoredTemplate): Record<string, unknown> {
    return { ...template, viewPosition: [...this.templates.keys()].indexOf(template.uuid) + 1, tags: [] };
  }

  private pluginShape(plugin: StoredPlugin): Record<string, unknown> {
    return { ...plugin, viewPosition: [...this.plugins.keys()].indexOf(plugin.uuid) + 1, tags: [] };
  }
}
