import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
// AGPL-3.0: the panel's own published schemas, used here (tests only) so the client is proven
// against Remnawave's contract rather than our reading of it. Nothing under src/ may import this.
import {
  CreateUserCommand,
  DeleteUserCommand,
  DisableUserCommand,
  EnableUserCommand,
  GetUserByIdCommand,
  GetUsersCommand,
  GetUsersStreamCommand,
  ResetUserTrafficCommand,
  RevokeUserSubscriptionCommand,
  UpdateUserCommand,
} from '@remnawave/backend-contract';
import { FakePanelInfra } from './remnawave-infra';
import { FakePanelAdmin } from './remnawave-admin';

/**
 * A local Remnawave 3.4 panel for the endpoints our client uses, held in memory.
 *
 * Every request it receives is checked against the contract (path, query, params and body
 * schemas, bearer token, the X-Forwarded-* headers a production panel needs) and every reply it
 * sends against the contract's response schema. A mismatch is recorded in `violations` (and in
 * the suite-wide list a root hook asserts empty), so a drift of the client from the contract fails
 * the run even when the test at hand did not look.
 *
 * Errors are answered as the panel does: `{timestamp, path, message, errorCode}` (A025 user not
 * found, A019 username exists), validation failures as 400 `{statusCode, message, errors}`.
 * `failNext`/`failAlways` make it fail the ways a real upstream fails.
 */
export type PanelFailure = 'server_error' | 'hang' | 'apply_then_hang' | 'reset' | 'garbage' | 'bad_shape' | 'no_envelope' | 'huge' | 'rejected' | { slowMs: number };

export interface PanelRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface ZodLike {
  safeParse(value: unknown): { success: boolean; error?: { message: string } };
}

interface StoredUser {
  id: number;
  shortUuid: string;
  username: string;
  status: 'ACTIVE' | 'DISABLED' | 'LIMITED' | 'EXPIRED';
  trafficLimitBytes: number;
  trafficLimitStrategy: 'NO_RESET' | 'DAY' | 'WEEK' | 'MONTH' | 'MONTH_ROLLING';
  expireAt: string;
  telegramId: number | null;
  email: string | null;
  description: string | null;
  tag: string | null;
  hwidDeviceLimit: number | null;
  externalSquadUuid: string | null;
  trojanPassword: string;
  vlessUuid: string;
  ssPassword: string;
  lastTriggeredThreshold: number;
  subRevokedAt: string | null;
  lastTrafficResetAt: string | null;
  createdAt: string;
  updatedAt: string;
  usedTrafficBytes: number;
  onlineAt: string | null;
}

/** Every violation any fake panel saw during the run; test/support/root-hooks.ts asserts none. */
export const contractViolations: string[] = [];

const ERRORS = {
  userNotFound: { status: 404, message: 'User not found', errorCode: 'A025' },
  usernameExists: { status: 400, message: 'User username already exists', errorCode: 'A019' },
  unauthorized: { status: 401, message: 'Unauthorized', errorCode: 'A003' },
} as const;

const secret = (bytes: number) => randomBytes(bytes).toString('base64url').slice(0, bytes);

export class FakeRemnawave {
  readonly token: string;
  readonly requests: PanelRequest[] = [];
  readonly violations: string[] = [];
  /**
   * Makes the stream's telegramId/email filters substring matches, as the list's are: the client
   * must re-check equality rather than trust any panel filter.
   */
  looseStreamFilters = false;
  /** TCP connections accepted since start: how many sockets the client opened. */
  socketsOpened = 0;
  /** The most sockets open at the same time. */
  peakOpenSockets = 0;
  private openSockets = 0;
  /** The most requests being answered at the same time. */
  peakInFlight = 0;
  private inFlight = 0;
  private readonly users = new Map<number, StoredUser>();
  private nextId = 1;
  private readonly failures: PanelFailure[] = [];
  private persistentFailure: PanelFailure | undefined;
  private readonly pathFailures: { path: RegExp; mode: PanelFailure }[] = [];
  /** Nodes, config profiles, hosts and system stats. */
  readonly infra = new FakePanelInfra(this);
  /** Config profile changes, squads, snippets, settings, templates, node plugins, usage statistics. */
  readonly admin = new FakePanelAdmin(this, this.infra);
  private readonly server: Server;
  private readonly hanging = new Set<ServerResponse>();

  constructor(options: { token?: string } = {}) {
    this.token = options.token ?? 'remnawave-test-token';
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket: Socket) => {
      this.socketsOpened += 1;
      this.openSockets += 1;
      this.peakOpenSockets = Math.max(this.peakOpenSockets, this.openSockets);
      socket.on('close', () => {
        this.openSockets -= 1;
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The environment an app under test needs to talk to this fake. */
  env(): Record<string, string> {
    return { REMNAWAVE_URL: this.url, REMNAWAVE_TOKEN: this.token };
  }

  /** A user as the panel would hold it; `overrides` in the panel's own field names. */
  seedUser(overrides: Partial<StoredUser> = {}): StoredUser {
    const id = this.nextId++;
    const now = new Date().toISOString();
    const user: StoredUser = {
      id,
      shortUuid: secret(16),
      username: `user_${id}`,
      status: 'ACTIVE',
      trafficLimitBytes: 0,
      trafficLimitStrategy: 'NO_RESET',
      expireAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      telegramId: null,
      email: null,
      description: null,
      tag: null,
      hwidDeviceLimit: null,
      externalSquadUuid: null,
      trojanPassword: secret(16),
      vlessUuid: randomUUID(),
      ssPassword: secret(16),
      lastTriggeredThreshold: 0,
      subRevokedAt: null,
      lastTrafficResetAt: null,
      createdAt: now,
      updatedAt: now,
      usedTrafficBytes: 0,
      onlineAt: null,
      ...overrides,
    };
    // An id given in `overrides` (a test matching an event's user) is kept, and never handed out again.
    this.nextId = Math.max(this.nextId, user.id + 1);
    this.users.set(user.id, user);
    return user;
  }

  user(id: number): StoredUser | undefined {
    return this.users.get(id);
  }

  get userCount(): number {
    return this.users.size;
  }

  /** The next `times` requests fail this way. */
  failNext(mode: PanelFailure, times = 1): void {
    for (let i = 0; i < times; i += 1) this.failures.push(mode);
  }

  /** Every request fails this way until `heal()`. */
  failAlways(mode: PanelFailure): void {
    this.persistentFailure = mode;
  }

  /** Every request whose path matches fails this way until `heal()` (one user of many, say). */
  failPath(path: RegExp, mode: PanelFailure): void {
    this.pathFailures.push({ path, mode });
  }

  heal(): void {
    this.failures.length = 0;
    this.pathFailures.length = 0;
    this.persistentFailure = undefined;
    this.releaseHanging();
  }

  reset(): void {
    this.heal();
    this.users.clear();
    this.infra.clear();
    this.admin.clear();
    this.nextId = 1;
    this.requests.length = 0;
    this.looseStreamFilters = false;
    this.socketsOpened = 0;
    this.peakOpenSockets = this.openSockets;
    this.peakInFlight = this.inFlight;
  }

  /** Count of requests received for a method and a path pattern. */
  count(method: string, path: RegExp): number {
    return this.requests.filter((r) => r.method === method && path.test(r.path)).length;
  }

  async stop(): Promise<void> {
    this.releaseHanging();
    await new Promise<void>((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private releaseHanging(): void {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  /** For tests that provoke violations on purpose: drops this fake's from the suite-wide list. */
  forgetViolations(): void {
    for (const message of this.violations) {
      const index = contractViolations.indexOf(message);
      if (index >= 0) contractViolations.splice(index, 1);
    }
    this.violations.length = 0;
  }

  private violation(message: string): void {
    this.violations.push(message);
    contractViolations.push(message);
  }

  /** Checks a value against a contract schema; a mismatch is a violation. */
  /** For the route handlers of test/fakes/remnawave-infra.ts too. */
  conforms(what: string, schema: ZodLike, value: unknown): boolean {
    const result = schema.safeParse(value);
    if (!result.success) this.violation(`${what}: ${result.error?.message ?? 'invalid'}`);
    return result.success;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    // NestJS routes `/api/users/` and `/api/users` alike.
    const path = url.pathname.replace(/(.)\/+$/, '$1');
    // Our client only calls /api/...; anything else is another process's stray probe at a reused port.
    if (!path.startsWith('/api/')) {
      send(res, 404, { message: 'Not Found' });
      return;
    }
    let body: unknown;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        this.violation(`${req.method} ${path}: body is not JSON`);
      }
    }
    this.inFlight += 1;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    res.on('close', () => {
      this.inFlight -= 1;
    });
    const request: PanelRequest = { method: req.method ?? '', path, query: Object.fromEntries(url.searchParams), headers: req.headers, body };
    this.requests.push(request);

    const failure = this.pathFailures.find((f) => f.path.test(path))?.mode ?? this.failures.shift() ?? this.persistentFailure;
    if (failure !== undefined && (await this.fail(failure, req, res))) return;

    if (!this.checkHeaders(request, res)) return;
    this.route(request, res);
  }

  /** Answers with the failure; false when the request should then be served normally (slow). */
  private async fail(failure: PanelFailure, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (typeof failure === 'object') {
      await new Promise((resolve) => setTimeout(resolve, failure.slowMs));
      return res.destroyed;
    }
    if (failure === 'hang') {
      this.hanging.add(res);
      return true;
    }
    if (failure === 'apply_then_hang') {
      // The change is made, the reply never leaves: a caller that dies now has changed the panel
      // without knowing it (what a crash between the panel's commit and ours looks like).
      res.end = (() => res) as typeof res.end;
      this.hanging.add(res);
      return false;
    }
    if (failure === 'reset') {
      req.socket.destroy();
      return true;
    }
    if (failure === 'server_error') {
      send(res, 500, { timestamp: new Date().toISOString(), path: req.url, message: 'Server error at db.panel.internal:5432', errorCode: 'A001' });
      return true;
    }
    if (failure === 'rejected') {
      // A rule of the panel's own that our validation does not know (as a newer panel might add).
      send(res, 400, { statusCode: 400, message: 'Validation failed', errors: [{ path: ['expireAt'], message: 'Expiration date cannot be in the past' }] });
      return true;
    }
    if (failure === 'no_envelope') {
      send(res, 200, { id: 1, username: 'not wrapped in response' });
      return true;
    }
    if (failure === 'huge') {
      send(res, 200, { response: { padding: 'x'.repeat(5 * 1024 * 1024) } });
      return true;
    }
    if (failure === 'garbage') {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>502 Bad Gateway</html>');
      return true;
    }
    send(res, 200, { response: { id: 'not-a-number', users: 'nope' } });
    return true;
  }

  private checkHeaders(request: PanelRequest, res: ServerResponse): boolean {
    const { headers } = request;
    const where = `${request.method} ${request.path}`;
    if (!headers['x-forwarded-for']) this.violation(`${where}: no X-Forwarded-For`);
    if (headers['x-forwarded-proto'] !== 'https') this.violation(`${where}: X-Forwarded-Proto is not https`);
    if (request.body !== undefined && !String(headers['content-type'] ?? '').startsWith('application/json')) {
      this.violation(`${where}: body without application/json`);
    }
    if (headers.authorization !== `Bearer ${this.token}`) {
      this.error(res, request, ERRORS.unauthorized);
      return false;
    }
    return true;
  }

  private route(request: PanelRequest, res: ServerResponse): void {
    const { method, path } = request;
    const byId = /^\/api\/users\/([^/]+)$/.exec(path);
    const action = /^\/api\/users\/([^/]+)\/actions\/(enable|disable|reset-traffic|revoke)$/.exec(path);

    if (method === 'GET' && path === '/api/users') return this.list(request, res);
    if (method === 'GET' && path === '/api/users/stream') return this.stream(request, res);
    if (method === 'POST' && path === '/api/users') return this.create(request, res);
    if (method === 'PATCH' && path === '/api/users') return this.update(request, res);
    if (method === 'GET' && byId) return this.withUser(request, res, GetUserByIdCommand, byId[1], (user) => this.reply(res, request, 200, GetUserByIdCommand, { response: this.extended(user) }));
    if (method === 'DELETE' && byId) {
      return this.withUser(request, res, DeleteUserCommand, byId[1], (user) => {
        this.users.delete(user.id);
        res.writeHead(204).end();
      });
    }
    if (method === 'POST' && action) return this.act(request, res, action[1] as string, action[2] as string);
    if (this.infra.route(request, res)) return;
    if (this.admin.route(request, res)) return;

    this.violation(`${method} ${path}: no such endpoint in the contract subset`);
    send(res, 404, { timestamp: new Date().toISOString(), path, message: `Cannot ${method} ${path}` });
  }

  private list(request: PanelRequest, res: ServerResponse): void {
    const query = GetUsersCommand.RequestQuerySchema.safeParse(request.query);
    if (!query.success) return this.invalid(request, res, `query: ${query.error.message}`);
    let users = [...this.users.values()];
    for (const filter of query.data.filters ?? []) {
      const needle = String(filter.value).toLowerCase();
      // The panel's list filters are LIKE '%value%', also on telegramId.
      users = users.filter((user) => String((user as unknown as Record<string, unknown>)[filter.id] ?? '').toLowerCase().includes(needle));
    }
    const page = users.slice(query.data.start, query.data.start + query.data.size);
    this.reply(res, request, 200, GetUsersCommand, { response: { users: page.map((user) => this.extended(user)), total: users.length } });
  }

  private stream(request: PanelRequest, res: ServerResponse): void {
    const query = GetUsersStreamCommand.RequestQuerySchema.safeParse(request.query);
    if (!query.success) return this.invalid(request, res, `query: ${query.error.message}`);
    const { cursor, size, telegramId, email } = query.data;
    const like = (value: unknown, wanted: unknown) => (this.looseStreamFilters ? String(value ?? '').includes(String(wanted)) : value === wanted);
    const matches = [...this.users.values()]
      .filter((user) => (telegramId === undefined || like(user.telegramId, telegramId)) && (email === undefined || like(user.email, email)))
      .filter((user) => cursor === undefined || user.id > cursor);
    const page = matches.slice(0, size);
    const hasMore = matches.length > size;
    this.reply(res, request, 200, GetUsersStreamCommand, {
      response: { users: page.map((user) => this.extended(user)), nextCursor: hasMore ? String(page[page.length - 1]?.id) : null, hasMore },
    });
  }

  private create(request: PanelRequest, res: ServerResponse): void {
    const parsed = CreateUserCommand.RequestBodySchema.safeParse(request.body);
    if (!parsed.success) return this.invalid(request, res, `body: ${parsed.error.message}`);
    const body = request.body as Record<string, unknown>;
    if ([...this.users.values()].some((user) => user.username === body.username)) return this.error(res, request, ERRORS.usernameExists);
    const user = this.seedUser({
      username: body.username as string,
      expireAt: new Date(body.expireAt as string).toISOString(),
      trafficLimitBytes: (body.trafficLimitBytes as number | undefined) ?? 0,
      email: (body.email as string | null | undefined) ?? null,
      telegramId: (body.telegramId as number | null | undefined) ?? null,
      description: (body.description as string | undefined) ?? null,
    });
    this.reply(res, request, 201, CreateUserCommand, { response: this.extended(user) });
  }

  private update(request: PanelRequest, res: ServerResponse): void {
    const parsed = UpdateUserCommand.RequestBodySchema.safeParse(request.body);
    if (!parsed.success) return this.invalid(request, res, `body: ${parsed.error.message}`);
    const { id, ...changes } = request.body as Record<string, unknown>;
    const user = typeof id === 'number' ? this.users.get(id) : undefined;
    if (!user) return this.error(res, request, ERRORS.userNotFound);
    for (const key of ['status', 'trafficLimitBytes', 'email', 'telegramId', 'description'] as const) {
      if (key in changes) (user as unknown as Record<string, unknown>)[key] = changes[key] ?? null;
    }
    if (typeof changes.expireAt === 'string') user.expireAt = new Date(changes.expireAt).toISOString();
    user.updatedAt = new Date().toISOString();
    this.reply(res, request, 200, UpdateUserCommand, { response: this.extended(user) });
  }

  private act(request: PanelRequest, res: ServerResponse, rawId: string, action: string): void {
    const commands = { enable: EnableUserCommand, disable: DisableUserCommand, 'reset-traffic': ResetUserTrafficCommand, revoke: RevokeUserSubscriptionCommand };
    const command = commands[action as keyof typeof commands];
    if (action === 'revoke' && !this.conforms(`POST ${request.path} body`, RevokeUserSubscriptionCommand.RequestBodySchema, request.body)) {
      return this.invalid(request, res, 'body');
    }
    this.withUser(request, res, command, rawId, (user) => {
      if (action === 'enable') user.status = 'ACTIVE';
      if (action === 'disable') user.status = 'DISABLED';
      if (action === 'reset-traffic') {
        user.usedTrafficBytes = 0;
        user.lastTrafficResetAt = new Date().toISOString();
      }
      if (action === 'revoke') {
        user.shortUuid = secret(16);
        user.subRevokedAt = new Date().toISOString();
      }
      user.updatedAt = new Date().toISOString();
      this.reply(res, request, 200, command, { response: this.extended(user) });
    });
  }

  private withUser(
    request: PanelRequest,
    res: ServerResponse,
    command: { RequestParamSchema: ZodLike },
    rawId: string | undefined,
    then: (user: StoredUser) => void,
  ): void {
    if (!this.conforms(`${request.method} ${request.path} params`, command.RequestParamSchema, { userId: rawId })) return this.invalid(request, res, 'params');
    const user = this.users.get(Number(rawId));
    if (!user) return this.error(res, request, ERRORS.userNotFound);
    then(user);
  }

  /** The panel's ExtendedUsersSchema shape of a stored user. */
  private extended(user: StoredUser): Record<string, unknown> {
    const { usedTrafficBytes, onlineAt, ...rest } = user;
    return {
      ...rest,
      subscriptionUrl: `https://sub.panel.test/${user.shortUuid}`,
      activeInternalSquads: [],
      userTraffic: { usedTrafficBytes, lifetimeUsedTrafficBytes: usedTrafficBytes, onlineAt, firstConnectedAt: onlineAt, lastConnectedNodeUuid: null },
    };
  }

  /** For the route handlers of test/fakes/remnawave-infra.ts too. */
  reply(res: ServerResponse, request: PanelRequest, status: number, command: { ResponseSchema: ZodLike }, body: unknown): void {
    this.conforms(`${request.method} ${request.path} reply`, command.ResponseSchema, body);
    send(res, status, body);
  }

  /** A request the contract refuses: recorded, and answered like the panel's zod pipe does. */
  /** For the route handlers of test/fakes/remnawave-infra.ts too. */
  invalid(request: PanelRequest, res: ServerResponse, message: string): void {
    this.violation(`${request.method} ${request.path} ${message}`);
    send(res, 400, { statusCode: 400, message: 'Validation failed', errors: [{ message }] });
  }

  /** For the route handlers of test/fakes/remnawave-infra.ts too. */
  error(res: ServerResponse, request: PanelRequest, error: { status: number; message: string; errorCode: string }): void {
    send(res, error.status, { timestamp: new Date().toISOString(), path: request.path, message: error.message, errorCode: error.errorCode });
  }
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
