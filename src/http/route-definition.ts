import type { Request, Response } from 'express';
import type Joi from 'joi';
import type { Permission } from '../shared/permissions';

/**
 * A route is declared once, here-shaped: the router, the access guard, the validation and the
 * OpenAPI document are all built from the same declaration.
 */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * `public`: anyone; `authenticated`: any active admin; `signed_in`: any active admin or live API
 * key; a permission: admins and keys whose role holds it.
 */
export type Access = 'public' | 'authenticated' | 'signed_in' | Permission;

/** The permission an access level asks of the caller's role, if it asks for one. */
export const requiredPermission = (access: Access): Permission | null =>
  access === 'public' || access === 'authenticated' || access === 'signed_in' ? null : access;

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: Joi.Schema;
  /** Non-JSON answers (Prometheus text, HTML) name their media type. */
  readonly contentType?: string;
}

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** Express syntax (`/plans/:id`), relative to the group's prefix. */
  readonly path: string;
  readonly summary: string;
  /** Longer prose for the OpenAPI operation, when the summary cannot say enough (CommonMark). */
  readonly description?: string;
  readonly tags: readonly string[];
  readonly access: Access;
  /**
   * A sensitive step: the caller's session must carry a fresh re-authentication mark
   * (`POST /2fa/reauth`), else 403 "Re-authentication required". Needs an authenticated access.
   */
  readonly reauth?: boolean;
  /** Credential endpoints get the strict per-IP limiter on top of the general one. */
  readonly credentialEndpoint?: boolean;
  readonly request?: {
    readonly params?: Joi.ObjectSchema;
    readonly query?: Joi.ObjectSchema;
    readonly body?: Joi.Schema;
    /** Request headers the route reads (names lower-case); other headers pass. */
    readonly headers?: Joi.ObjectSchema;
  };
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  readonly handler: (req: Request, res: Response) => Promise<void> | void;
}

export interface RouteGroup {
  /** `/api/v1` for the API, empty for health, metrics and docs. */
  readonly prefix: string;
  readonly routes: readonly RouteDefinition[];
}

export const fullPath = (group: RouteGroup, route: RouteDefinition): string => `${group.prefix}${route.path}`;
