import type { Knex } from 'knex';

/**
 * Invites can be revoked (by an admin, or because their issuer was deactivated, deleted or
 * demoted) and allow a few registration attempts only, so one invite cannot probe which logins
 * and emails exist.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('admin_invites', (table) => {
    table.timestamp('revoked_at', { useTz: true }).nullable();
    // SET NULL, like created_by: the trace outlives the admin who revoked it. NULL with a
    // revoked_at: revoked by the service itself (attempts used up).
    table.uuid('revoked_by').nullable().references('id').inTable('admin_users').onDelete('SET NULL');
    // Registration attempts made with this invite, reserved before each one is checked.
    table.integer('attempts').notNullable().defaultTo(0);
  });
  // The revocation on an issuer change looks up that issuer's pending invites.
  await knex.raw('CREATE INDEX admin_invites_created_by_pending_index ON admin_invites (created_by) WHERE used_at IS NULL AND revoked_at IS NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX admin_invites_created_by_pending_index');
  await knex.schema.alterTable('admin_invites', (table) => {
    table.dropForeign(['revoked_by']);
    table.dropColumns('revoked_at', 'revoked_by', 'attempts');
  });
}
