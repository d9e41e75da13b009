import { expect } from 'chai';
import { hasPermission, PERMISSIONS, ROLES, roleRank, type Permission } from '../../../src/shared/permissions';

/** SPEC.md's matrix, copied by hand: the code must agree with the document, not with itself. */
const SPEC_MATRIX: Record<string, readonly string[]> = {
  user_read: ['admin', 'operator', 'support', 'viewer'],
  user_create: ['admin', 'operator'],
  user_update: ['admin', 'operator', 'support'],
  user_delete: ['admin'],
  server_read: ['admin', 'operator', 'support', 'viewer'],
  server_create: ['admin', 'operator'],
  server_update: ['admin', 'operator'],
  server_delete: ['admin'],
  payment_read: ['admin', 'operator'],
  payment_create: ['admin', 'operator'],
  monitoring_read: ['admin', 'operator', 'support', 'viewer'],
  audit_read: ['admin'],
  webhook_read: ['admin'],
  manage_plans: ['admin'],
  subscription_create: ['admin', 'operator'],
  notification_send: ['admin', 'operator', 'support'],
  view_analytics: ['admin', 'operator', 'viewer'],
  manage_admins: [],
};

describe('permissions matrix', () => {
  it('when the code lists permissions, then they are exactly those of SPEC.md', () => {
    expect([...PERMISSIONS].sort()).to.deep.equal(Object.keys(SPEC_MATRIX).sort());
  });

  for (const role of ROLES) {
    it(`when the role is ${role}, then it holds exactly the permissions SPEC.md grants it`, () => {
      for (const permission of PERMISSIONS) {
        const expected = role === 'super_admin' || SPEC_MATRIX[permission]!.includes(role);
        expect(hasPermission(role, permission as Permission), `${role} ${permission}`).to.equal(expected);
      }
    });
  }

  it('when roles are ranked, then viewer < support < operator < admin < super_admin', () => {
    expect(['viewer', 'support', 'operator', 'admin', 'super_admin'].map((r) => roleRank(r as never))).to.deep.equal([0, 1, 2, 3, 4]);
  });
});
