import type { RouteDefinition } from '../../http/route-definition';
import { principalOf, requireRecentReauth } from '../../http/access-guard';
import type { DisableProof } from './two-factor.service';
import { backupCodesSchema, disableBody, reauthBody, setupResultSchema, statusSchema, totpCodeBody, validateResultSchema } from './two-factor.schemas';

/** The caller's own TOTP second factor (POST /2fa/complete, the second step of a login, is in auth). */
const tags = ['two-factor'];
const wrong = { description: 'Invalid credentials (wrong code or password), or an invalid or expired token' };
const locked = { description: 'Too many failures for this account' };

export const twoFactorRoutes: readonly RouteDefinition[] = [
  {
    method: 'post',
    path: '/2fa/reauth',
    summary: 'Re-authenticate the current session for 5 minutes: the password, and a code when 2FA is on',
    description:
      'Marks the session of the credentials used (its refresh-token family) as recently re-authenticated for 5 minutes. ' +
      'Sensitive steps (2FA setup and disable, OAuth link and unlink) need that mark and answer 403 ' +
      '"Re-authentication required" without it. `code` (TOTP or backup code) is required when 2FA is on. ' +
      'Every refusal is 401 "Invalid credentials" and counts against the account lock-out.',
    tags,
    access: 'authenticated',
    credentialEndpoint: true,
    request: { body: reauthBody },
    responses: { 204: { description: 'Re-authenticated' }, 401: wrong, 429: locked },
    handler: async (req, res) => {
      const { password, code } = req.body as { password: string; code?: string };
      const principal = principalOf(req);
      await req.container.cradle.reauthService.reauthenticate(principal.adminId, principal.sessionId, password, code);
      res.status(204).end();
    },
  },
  {
    method: 'post',
    path: '/2fa/setup',
    summary: 'Start enabling 2FA (re-authenticated session, no body): a new secret, pending for 10 minutes until verified',
    tags,
    access: 'authenticated',
    reauth: true,
    responses: {
      200: { description: 'The secret, its otpauth:// URI, and qr_uri: the QR code of that URI as a PNG data URL', schema: setupResultSchema },
      409: { description: 'Two-factor already exists (already enabled)' },
    },
    handler: async (req, res) => {
      res.json(await req.container.cradle.twoFactorService.setup(principalOf(req).adminId));
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
    summary: 'Turn 2FA off: on a re-authenticated session (empty body), or with the password and a code together',
    description:
      'Without `password` and `code`, the session must carry a re-authentication mark (`POST /2fa/reauth`), else 403 ' +
      '"Re-authentication required". With both, they are the proof (a wrong one is 401 and counts against the lock-out). ' +
      'One of them alone is a 422.',
    tags,
    access: 'authenticated',
    credentialEndpoint: true,
    request: { body: disableBody },
    responses: {
      204: { description: 'Disabled' },
      401: wrong,
      403: { description: 'Re-authentication required (no proof in the body and no recent re-authentication)' },
      404: { description: 'Two-factor not found (not enabled)' },
      429: locked,
    },
    handler: async (req, res) => {
      const { password, code } = req.body as { password?: string; code?: string };
      const principal = principalOf(req);
      let proof: DisableProof;
      if (password !== undefined && code !== undefined) {
        proof = { kind: 'password_and_code', password, code };
      } else {
        await requireRecentReauth(req, principal);
        proof = { kind: 'reauthenticated' };
      }
      await req.container.cradle.twoFactorService.disable(principal.adminId, proof);
      res.status(204).end();
    },
  },
  {
    method: 'get',
    path: '/2fa/status',
    summary: "The caller's 2FA state",
    tags,
    access: 'authenticated',
    responses: { 200: { description: 'Enabled or not (also as status: "enabled" | "disabled"), and unused backup codes', schema: statusSchema } },
    handler: async (req, res) => {
      res.json(await req.container.cradle.twoFactorService.status(principalOf(req).adminId));
    },
  },
];
