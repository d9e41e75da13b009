import type { Knex } from 'knex';

/**
 * GET /admin/audit-log orders by (created_at desc, id desc): with this index a page is read off
 * the index instead of sorting the table. It supersedes the index on created_at alone.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX audit_logs_created_at_id_index ON audit_logs (created_at DESC, id DESC)');
  await knex.raw('DROP INDEX audit_logs_created_at_index');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX audit_logs_created_at_index ON audit_logs (created_at DESC)');
  await knex.raw('DROP INDEX audit_logs_created_at_id_index');
}
