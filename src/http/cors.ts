import cors, { type CorsOptions } from 'cors';
import type { RequestHandler } from 'express';
import type { Config } from '../config';

/**
 * CORS, the first middleware after the request id: a preflight from an allowed origin is answered
 * 204 here, before rate limits and auth, and every later answer (errors included) carries the
 * CORS headers so the browser lets the frontend read it.
 *
 * Origins are exact `scheme://host[:port]` strings from CORS_ORIGINS, answered with credentials
 * (the admin frontend uses httpOnly cookies). `*` is refused in production by the config; outside
 * production it means "any other origin, WITHOUT credentials": such a page can call the API with a
 * bearer token but never with the session cookies. Origins listed explicitly next to `*` keep their
 * credentials.
 */
export const CORS_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
/** X-Requested-With is what the cookie CSRF rule asks of state-changing requests. */
export const CORS_ALLOWED_HEADERS = ['Content-Type', 'Authorization', 'X-Request-ID', 'X-Requested-With'] as const;
/** The draft-8 RateLimit headers the limiters emit, and Retry-After of 429/503. */
export const CORS_EXPOSED_HEADERS = ['X-Request-ID', 'Retry-After', 'RateLimit', 'RateLimit-Policy'] as const;
/** Browsers cache a preflight this long (seconds); Chromium caps it at 7200. */
export const CORS_MAX_AGE_SECONDS = 600;

const common: CorsOptions = {
  methods: [...CORS_METHODS],
  allowedHeaders: [...CORS_ALLOWED_HEADERS],
  exposedHeaders: [...CORS_EXPOSED_HEADERS],
  maxAge: CORS_MAX_AGE_SECONDS,
  preflightContinue: false,
  optionsSuccessStatus: 204,
};

export function corsMiddleware(http: Pick<Config['http'], 'corsOrigins'>): RequestHandler {
  const listed = http.corsOrigins.filter((origin) => origin !== '*');
  // With no origin listed, cross-origin calls are simply not allowed (no Access-Control-Allow-Origin).
  const withCredentials = cors({ ...common, origin: listed, credentials: true });
  const anyOrigin = http.corsOrigins.includes('*') ? cors({ ...common, origin: '*', credentials: false }) : null;
  const allowed = new Set(listed);
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined && req.method !== 'OPTIONS') {
      // Not a CORS request (probes, servers, same-origin reads): no CORS header applies, but the
      // answer would differ with an Origin, so caches must key on it.
      res.vary('Origin');
      next();
      return;
    }
    if (anyOrigin === null || (origin !== undefined && allowed.has(origin))) {
      withCredentials(req, res, next);
      return;
    }
    res.vary('Origin');
    anyOrigin(req, res, next);
  };
}
