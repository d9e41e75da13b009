import type { RouteDefinition } from '../../http/route-definition';
import { principalOf } from '../../http/access-guard';
import type { DisableProof } from './two-factor.service';
import { backupCodesSchema, disableBody, setupBody, setupResultSchema, statusSchema, totpCodeBody, validateResultSchema } from './two-factor.schemas';

/** The caller's own TOTP second factor (POST /2fa/complete, the second step of a login, is in auth). */
const tags = ['two-factor'];
const wrong = { description: 'Invalid credentials (wrong code or password), or an invalid or expired token' };
const locked = { description: 'Too many failures for this account' };

export const twoFactorRoutes: readonly RouteDefinition[] = [
  {
    method: 'post',
    path: '/2fa/setup',
    summary: 'Start enabling 2FA with the account password: a new secret (pending for 10 minutes until verified)',
    tags,
    access: 'authenticated',
    credentialEndpoint: true,
    request: { body: setupBody },
    responses: {
      200: { description: 'The secret and its otpauth:// URI (for a QR code)', schema: setupResultSchema },
      401: wrong,
      409: { description: 'Two-factor already exists (already enabled)' },
      429: locked,
    },
    handler: async (req, res) => {
      const { password } = req.body as { password: string };
      res.json(await req.container.cradle.twoFactorService.setup(principalOf(req).adminId, password));
    },
  },
  {
    method: 'post',
    path: '/2fa/verify',
    summary: 'Enable 2FA with a code of the pending secret; answers the 10 backup codes, shown once',
    tags,
    access: 'authenticated',
    credentialEndpoint: true,
    request: { body: totpCodeBody },
    responses: {
      200: { description: 'Enabled', schema: backupCodesSchema },
      401: wrong,
      404: { description: 'Two-factor setup not found (none pending, or expired)' },
      409: { description: 'Two-factor already exists (already enabled)' },
      429: locked,
    },
    handler: async (req, res) => {
      const { code } = req.body as { code: string };
      res.json(await req.container.cradle.twoFactorService.enable(principalOf(req).adminId, code));
    },
  },
  {
    method: 'post',
    path: '/2fa/validate',
    summary: 'Check a TOTP code of the caller (the code is spent)',
    tags,
    access: 'authenticated',
    credentialEndpoint: true,
    request: { body: totpCodeBody },
    responses: {
      200: { description: 'Whether the code was valid (and unused)', schema: validateResultSchema },
      404: { description: 'Two-factor not found (not enabled)' },
      429: locked,
    },
    handler: async (req, res) => {
      const { code } = req.body as { code: string };
      res.json(await req.container.cradle.twoFactorService.validate(principalOf(req).adminId, code));
    },
  },
  {
    method: 'post',
    path: '/2fa/disable',
    summary: 'Turn 2FA off, proven by a code (TOTP or backup) or the password',
    tags,
    access: 'authenticated',
    credentialEndpoint: true,
    request: { body: disableBody },
    responses: {
      204: { description: 'Disabled' },
      401: wrong,
      404: { description: 'Two-factor not found (not enabled)' },
      429: locked,
    },
    handler: async (req, res) => {
      await req.container.cradle.twoFactorService.disable(principalOf(req).adminId, req.body as DisableProof);
      res.status(204).end();
    },
  },
  {
    method: 'get',
    path: '/2fa/status',
    summary: "The caller's 2FA state",
    tags,
    access: 'authenticated',
    responses: { 200: { description: 'Enabled or not, and unused backup codes', schema: statusSchema } },
    handler: async (req, res) => {
      res.json(await req.container.cradle.twoFactorService.status(principalOf(req).adminId));
    },
  },
];
