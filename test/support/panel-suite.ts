import { asValue } from 'awilix';
import type { AuditEntry } from '../../src/modules/audit/audit.repository';
import type { RemnawaveResilience } from '../../src/integrations/remnawave/resilience';
import type { Role } from '../../src/shared/permissions';
import type { SignedIn } from './auth-helpers';
import { createTestApp, type TestApp } from './test-app';
import { FakeRemnawave } from '../fakes/remnawave';
import { FAST_RESILIENCE } from '../integration/remnawave/panel-client';
import { signedInAdmin } from '../e2e/admins/helpers';

/** The real app against a fake panel, with one signed-in admin per role (fresh accounts each time). */
export interface PanelSuite {
  t: TestApp;
  fake: FakeRemnawave;
  as: Record<Role, SignedIn & { id: string }>;
  vpnAudit(): Promise<AuditEntry[]>;
  auditOf(entityType: string): Promise<AuditEntry[]>;
  /**
   * Between cases: an empty panel, the breaker given time to half-open again if the previous case
   * opened it, and no audit rows left of `entityTypes`.
   */
  nextCase(...entityTypes: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function panelSuite(env: Record<string, string> = {}, resilience: Partial<RemnawaveResilience> = {}): Promise<PanelSuite> {
  const fake = await new FakeRemnawave().start();
  const settings = { ...FAST_RESILIENCE, ...resilience };
  const t = await createTestApp({ ...fake.env(), OUTBOUND_TIMEOUT: '1s', ...env }, (container) => {
    container.register({ remnawaveResilience: asValue(settings) });
  });
  // No t.reset(): two suites may share the database at once (a second one for a dead panel or
  // Redis), and truncating would sign the first one's admins out.
  const roles: Role[] = ['viewer', 'support', 'operator', 'admin', 'super_admin'];
  const as = {} as Record<Role, SignedIn & { id: string }>;
  for (const role of roles) as[role] = await signedInAdmin(t, role);
  return {
    t,
    fake,
    as,
    auditOf: (entityType) => t.container.cradle.db<AuditEntry>('audit_logs').where({ entity_type: entityType }).orderBy('created_at'),
    vpnAudit: () => t.container.cradle.db<AuditEntry>('audit_logs').where({ entity_type: 'vpn_user' }).orderBy('created_at'),
    nextCase: async (...entityTypes) => {
      fake.reset();
      await new Promise((resolve) => setTimeout(resolve, settings.halfOpenAfterMs + 50));
      if (entityTypes.length > 0) await t.container.cradle.db('audit_logs').whereIn('entity_type', entityTypes).del();
    },
    close: async () => {
      await t.close();
      await fake.stop();
    },
  };
}

export const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
