import type { Request } from 'express';
import type { Config } from '../../config';
import { CsrfRejectedError } from '../../shared/errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A cookie rides along with any request the browser makes, including one a hostile page
 * triggers. A state-changing request authenticated by cookie must therefore come from an allowed
 * Origin and carry X-Requested-With, which a cross-site form cannot add without a CORS preflight.
 */
export function assertSameSiteWrite(req: Request, config: Config): void {
  if (SAFE_METHODS.has(req.method)) return;
  const origin = req.get('origin');
  if (!origin || !config.http.corsOrigins.includes(origin)) throw new CsrfRejectedError('origin not allowed');
  if (!req.get('x-requested-with')) throw new CsrfRejectedError('X-Requested-With missing');
}
