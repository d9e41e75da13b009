import type { Knex } from 'knex';

/**
 * Service credentials (the Telegram bot, other services): a key acts with one role below
 * super_admin. Only the SHA-256 of the key is kept; `public_id` names it in lists and logs.
 * Audit rows made with a key carry its id (`audit_logs.api_key_id`).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_keys', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.text('public_id').notNullable().unique();
    table.text('name').notNullable();
    table.text('role').notNullable();
    table.text('key_hash').notNullable().unique();
    table.uuid('created_by').nullable().references('id').inTable('admin_users').onDelete('SET NULL');
    table.timestamp('expires_at', { useTz: true }).nullable();
    table.timestamp('revoked_at', { useTz: true }).nullable();
    table.uuid('revoked_by').nullable().references('id').inTable('admin_users').onDelete('SET NULL');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // A key can never hold super_admin, whatever the application sends.
  await knex.raw("ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('viewer', 'support', 'operator', 'admin'))");
  await knex.schema.alterTable('audit_logs', (table) => {
    // SET NULL, like admin_id: the trail outlives the key (keys are revoked, not deleted, anyway).
    table.uuid('api_key_id').nullable().references('id').inTable('api_keys').onDelete('SET NULL');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_logs', (table) => {
    table.dropColumn('api_key_id');
  });
  await knex.schema.dropTable('api_keys');
}
