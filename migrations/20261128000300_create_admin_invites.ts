import type { Knex } from 'knex';

// Spelled out, not imported: a migration must keep meaning what it meant when it first ran.
const ADMIN_ROLES = ['viewer', 'support', 'operator', 'admin', 'super_admin'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('admin_invites', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // The invite token itself is shown once to its creator; only its hash is stored.
    table.text('token_hash').notNullable().unique({ indexName: 'admin_invites_token_hash_unique' });
    table.text('role').notNullable().checkIn(ADMIN_ROLES, 'admin_invites_role_check');
    table.text('email').nullable();
    // SET NULL: removing an admin must not erase the trace of the invites they handed out.
    table.uuid('created_by').nullable().references('id').inTable('admin_users').onDelete('SET NULL');
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.timestamp('used_at', { useTz: true }).nullable();
    table.uuid('used_by').nullable().references('id').inTable('admin_users').onDelete('SET NULL');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('admin_invites');
}
