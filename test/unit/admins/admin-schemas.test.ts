import { expect } from 'chai';
import { PermissionDeniedError } from '../../../src/shared/errors';
import { hasPermission, ROLES, roleRank } from '../../../src/shared/permissions';
import { createInviteBody, inviteBody, registerBody, updateAdminBody } from '../../../src/modules/admins/admins.schemas';
import { assertMayGrant, grantableBy, mayGrant } from '../../../src/modules/admins/role-policy';
import { auditLogQuery } from '../../../src/modules/audit/audit.schemas';

describe('admins: schemas and role policy', () => {
  it('when an invite names no lifetime, then it lasts 72 hours; 1..720 are accepted, nothing else', () => {
    expect(createInviteBody.validate({ role: 'viewer' }).value).to.deep.equal({ role: 'viewer', expires_in_hours: 72 });
    for (const hours of [1, 720]) expect(createInviteBody.validate({ role: 'viewer', expires_in_hours: hours }).error).to.be.undefined;
    for (const hours of [0, 721, 1.5]) expect(createInviteBody.validate({ role: 'viewer', expires_in_hours: hours }).error, String(hours)).to.exist;
  });

  it('when a registration password is 72 bytes it passes, at 73 bytes it fails', () => {
    const base = { invite_token: 'x', login: 'someone', email: 'a@corp.internal' };
    expect(registerBody.validate({ ...base, password: `a1${'b'.repeat(70)}` }).error).to.be.undefined;
    expect(registerBody.validate({ ...base, password: `a1${'b'.repeat(71)}` }).error?.details[0]?.type).to.equal('password.long');
  });

  it('when an admin change is empty or carries an unknown field, then it is refused', () => {
    expect(updateAdminBody.validate({}).error).to.exist;
    expect(updateAdminBody.validate({ password_hash: 'x' }).error).to.exist;
    expect(updateAdminBody.validate({ email: null, telegram_id: null }).error).to.be.undefined;
  });

  it('when the audit window ends before it starts, then it is refused; equal bounds or one bound alone pass', () => {
    expect(auditLogQuery.validate({ from: '2026-01-02', to: '2026-01-01' }).error).to.exist;
    expect(auditLogQuery.validate({ from: '2026-01-01', to: '2026-01-01' }).error).to.be.undefined;
    expect(auditLogQuery.validate({ to: '2026-01-01' }).error).to.be.undefined;
  });

  it('when a caller grants a role, then only manage_admins holders may, and only up to their own role', () => {
    for (const role of ROLES) expect(() => assertMayGrant('super_admin', role)).to.not.throw();
    // admin is just below super_admin but does not hold manage_admins: it grants nothing, even below itself.
    expect(() => assertMayGrant('admin', 'admin')).to.throw(PermissionDeniedError);
    expect(() => assertMayGrant('admin', 'viewer')).to.throw(PermissionDeniedError);
    expect(() => assertMayGrant('admin', 'super_admin')).to.throw(PermissionDeniedError);
    expect(() => assertMayGrant('viewer', 'support')).to.throw(PermissionDeniedError);
  });

  it('when the grant rule is asked who may hand out what, then it follows the permission matrix and the ranks', () => {
    for (const grantor of ROLES) {
      const expected = hasPermission(grantor, 'manage_admins') ? ROLES.filter((role) => roleRank(role) <= roleRank(grantor)) : [];
      expect(grantableBy(grantor), grantor).to.deep.equal(expected);
      for (const role of ROLES) expect(mayGrant(grantor, role), `${grantor} -> ${role}`).to.equal(expected.includes(role));
    }
    expect(grantableBy('super_admin')).to.deep.equal([...ROLES]);
  });

  it('when an invite body asks for a lifetime, then super_admin invites stop at 72 h, the others at 720 h, and 72 h is the default', () => {
    const body = inviteBody('email_hint');
    expect(body.validate({ role: 'super_admin' }).value).to.deep.equal({ role: 'super_admin', expires_in_hours: 72 });
    expect(body.validate({ role: 'super_admin', expires_in_hours: 72 }).error).to.be.undefined;
    expect(body.validate({ role: 'super_admin', expires_in_hours: 73 }).error?.details[0]?.path).to.deep.equal(['expires_in_hours']);
    expect(body.validate({ role: 'viewer', expires_in_hours: 720 }).error).to.be.undefined;
    expect(body.validate({ role: 'viewer', expires_in_hours: 721 }).error).to.exist;
    expect(body.validate({ role: 'viewer', expires_in_hours: 1.5 }).error).to.exist;
    expect(body.validate({ role: 'viewer', email: 'a@example.test' }).error).to.exist;
  });
});
