import type Joi from 'joi';
import type { HttpMethod, ResponseSpec, RouteDefinition } from '../../http/route-definition';
import type { PanelMethod } from '../../integrations/remnawave/remnawave.transport';
import type { Permission } from '../../shared/permissions';

/** What a row's builders read: the request after validation (Joi's conversions applied). */
export interface PanelRouteInput {
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, unknown>>;
  readonly body: Readonly<Record<string, unknown>>;
}

/**
 * One route of ours passed through to one Remnawave 3.4 command: a row of panel-routes.table.ts.
 * `toRouteDefinition` turns it into an ordinary RouteDefinition (router, access guard, validation
 * and OpenAPI as for every other route); PanelPassThroughService runs it.
 */
export interface PanelRoute {
  readonly method: HttpMethod;
  /** Express syntax, under /api/v1. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  /** From the one matrix (src/shared/permissions.ts). */
  readonly access: Permission;
  readonly request?: RouteDefinition['request'];
  /** The panel's command, as its contract names it (`GetSnippetsCommand`), and how to call it. */
  readonly command: {
    readonly name: string;
    readonly method: PanelMethod;
    readonly path: (input: PanelRouteInput) => string;
    readonly query?: (input: PanelRouteInput) => Record<string, string | number>;
    readonly body?: (input: PanelRouteInput) => unknown;
    /** Absolute writes (an update naming every field it sets) may be retried like reads. */
    readonly idempotent?: boolean;
  };
  /** Human name of what a 404 from the panel is about. */
  readonly entity: string;
  /** The `response` member of the panel's reply, checked: the fields we pass on. None: body-less. */
  readonly upstream?: Joi.Schema;
  /** The checked reply in our shape; may throw a domain error (a list without the asked item). */
  readonly present?: (reply: unknown, input: PanelRouteInput) => unknown;
  readonly status: 200 | 201 | 202 | 204;
  /** Our reply, for OpenAPI; none: an empty body. */
  readonly response?: Joi.Schema;
  /** Every change is audited after the panel confirmed it. */
  readonly audit?: {
    readonly action: string;
    readonly entityType: string;
    readonly entityId: (result: unknown, input: PanelRouteInput) => string;
    /** What the entry keeps as new_value (secret-looking keys are redacted on top). */
    readonly value?: (result: unknown, input: PanelRouteInput) => unknown;
  };
}

/** A row with its reply typed; stored erased, so the table can hold rows of every shape. */
export function passThrough<Reply>(row: Omit<PanelRoute, 'present'> & { present?: (reply: Reply, input: PanelRouteInput) => unknown }): PanelRoute {
  const { present, ...rest } = row;
  return present ? { ...rest, present: (reply, input) => present(reply as Reply, input) } : rest;
}

const UPSTREAM: Record<number, ResponseSpec> = {
  502: { description: 'Upstream service unavailable (the VPN panel failed or refused our token)' },
  504: { description: 'Upstream service unavailable (the VPN panel timed out)' },
};

export function toRouteDefinition(route: PanelRoute): RouteDefinition {
  const { command } = route;
  const responses: Record<number, ResponseSpec> = {
    [route.status]: { description: route.summary, ...(route.response && { schema: route.response }) },
    404: { description: `${route.entity} not found` },
    ...UPSTREAM,
  };
  if (route.request?.body) responses[422] = { description: 'Invalid request, or refused by the VPN panel\'s own validation' };
  if (route.status === 201) responses[409] = { description: `${route.entity} already exists (its name is taken)` };
  return {
    method: route.method,
    path: route.path,
    summary: route.summary,
    description: `Passed through to the VPN panel's \`${command.name}\` (\`${command.method}\`).`,
    tags: [route.tag],
    access: route.access,
    ...(route.request && { request: route.request }),
    responses,
    handler: async (req, res) => {
      const input: PanelRouteInput = {
        params: req.params as Record<string, string>,
        query: req.query as Record<string, unknown>,
        body: (req.body ?? {}) as Record<string, unknown>,
      };
      const result = await req.container.cradle.panelPassThroughService.run(route, input);
      if (route.response) res.status(route.status).json(result);
      else res.status(route.status).end();
    },
  };
}
