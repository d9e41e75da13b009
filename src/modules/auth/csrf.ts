import type { Request } from 'express';
import type { Config } from '../../config';
import { CsrfRejectedError } from '../../shared/errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A cookie rides along with any request the browser makes, including one a hostile page
 * triggers. A state-changing request authenticated by cookie must therefore show where it comes
 * from: an `Origin` from CORS_ORIGINS, or, when the browser sent no Origin, `Sec-Fetch-Site:
 * same-origin` (both are set by the browser, never by a page's script). `Origin: null` (sandboxed
 * frames, some redirects) is no origin we allow. No custom header is asked for: the real admin
 * frontend sends none, and SameSite=Strict already keeps the cookies off cross-site requests in
 * every current browser; this is the check for the rest.
 */
export function assertSameSiteWrite(req: Request, config: Config): void {
  if (SAFE_METHODS.has(req.method)) return;
  const origin = req.get('origin');
  if (origin !== undefined) {
    if (!config.http.corsOrigins.includes(origin)) throw new CsrfRejectedError('origin not allowed');
    return;
  }
  if (req.get('sec-fetch-site') !== 'same-origin') throw new CsrfRejectedError('neither an allowed Origin nor Sec-Fetch-Site: same-origin');
}
