import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('refresh_tokens', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.uuid('admin_id').notNullable().references('id').inTable('admin_users').onDelete('CASCADE');
    // Only a hash of the token is kept: a leaked table does not hand out sessions.
    table.text('token_hash').notNullable().unique({ indexName: 'refresh_tokens_token_hash_unique' });
    // Every token of one login session shares a family; reuse of a spent token revokes it all.
    table.uuid('family_id').notNullable();
    table.uuid('replaced_by').nullable().references('id').inTable('refresh_tokens').onDelete('SET NULL');
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.timestamp('revoked_at', { useTz: true }).nullable();
    table.timestamp('last_used_at', { useTz: true }).nullable();
    table.text('ip').nullable();
    table.text('user_agent').nullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(['admin_id'], 'refresh_tokens_admin_id_index');
    table.index(['family_id'], 'refresh_tokens_family_id_index');
  });
  // Deleting expired tokens must find the rows pointing at them (ON DELETE SET NULL) by index.
  await knex.raw(
    'CREATE INDEX refresh_tokens_replaced_by_index ON refresh_tokens (replaced_by) WHERE replaced_by IS NOT NULL',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('refresh_tokens');
}
