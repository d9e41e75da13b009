import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_logs', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // SET NULL: the trail outlives the admin who left it.
    table.uuid('admin_id').nullable().references('id').inTable('admin_users').onDelete('SET NULL');
    table.text('action').notNullable();
    table.text('entity_type').nullable();
    table.text('entity_id').nullable(); // text: our UUIDs, Remnawave numeric ids, Telegram ids
    // Written with secrets removed by the application (passwords, tokens, TOTP secrets).
    table.jsonb('old_value').nullable();
    table.jsonb('new_value').nullable();
    table.text('ip').nullable();
    table.text('user_agent').nullable();
    table.text('request_id').nullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // GET /admin/audit-log filters (admin_id, action, entity_type, from/to), newest first.
  await knex.raw('CREATE INDEX audit_logs_admin_id_created_at_index ON audit_logs (admin_id, created_at DESC)');
  await knex.raw('CREATE INDEX audit_logs_action_created_at_index ON audit_logs (action, created_at DESC)');
  await knex.raw('CREATE INDEX audit_logs_entity_type_created_at_index ON audit_logs (entity_type, created_at DESC)');
  await knex.raw('CREATE INDEX audit_logs_created_at_index ON audit_logs (created_at DESC)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_logs');
}
