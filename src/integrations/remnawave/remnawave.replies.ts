import Joi from 'joi';

/**
 * The fields of Remnawave 3.4 replies this service relies on, checked by hand-written Joi schemas
 * (the panel's own zod contract is AGPL: only the test fake may use it). Unknown fields pass;
 * a missing or mistyped field we read makes the reply garbage, which is an upstream failure.
 */
export const PANEL_USER_STATUSES = ['ACTIVE', 'DISABLED', 'LIMITED', 'EXPIRED'] as const;
export type PanelUserStatus = (typeof PANEL_USER_STATUSES)[number];

export interface PanelUser {
  id: number;
  shortUuid: string;
  username: string;
  status: PanelUserStatus;
  trafficLimitBytes: number;
  expireAt: string;
  telegramId: number | null;
  email: string | null;
  description: string | null;
  subscriptionUrl: string;
  createdAt: string;
  userTraffic: { usedTrafficBytes: number; onlineAt: string | null };
}

const isoDate = Joi.string().isoDate();

export const panelUserSchema = Joi.object({
  id: Joi.number().integer().positive().required(),
  shortUuid: Joi.string().min(1).required(),
  username: Joi.string().min(1).required(),
  status: Joi.string()
    .valid(...PANEL_USER_STATUSES)
    .required(),
  trafficLimitBytes: Joi.number().min(0).required(),
  expireAt: isoDate.required(),
  telegramId: Joi.number().integer().allow(null).required(),
  email: Joi.string().allow(null).required(),
  description: Joi.string().allow(null, '').required(),
  subscriptionUrl: Joi.string().required(),
  createdAt: isoDate.required(),
  userTraffic: Joi.object({
    usedTrafficBytes: Joi.number().min(0).required(),
    onlineAt: isoDate.allow(null).required(),
  })
    .unknown(true)
    .required(),
}).unknown(true);

export interface PanelUserPage {
  users: PanelUser[];
  total: number;
}

export const panelUserPageSchema = Joi.object({
  users: Joi.array().items(panelUserSchema).required(),
  total: Joi.number().integer().min(0).required(),
}).unknown(true);

export interface PanelUserStream {
  users: PanelUser[];
  nextCursor: string | null;
  hasMore: boolean;
}

export const panelUserStreamSchema = Joi.object({
  users: Joi.array().items(panelUserSchema).required(),
  nextCursor: Joi.string().allow(null).required(),
  hasMore: Joi.boolean().required(),
}).unknown(true);

/** The error body of the panel: `{message, errorCode?}` (NestJS filter) or a validation list. */
export interface PanelError {
  errorCode?: string;
}

export function panelErrorCode(body: unknown): string | undefined {
  if (body && typeof body === 'object' && typeof (body as PanelError).errorCode === 'string') return (body as PanelError).errorCode;
  return undefined;
}
