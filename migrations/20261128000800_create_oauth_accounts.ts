import type { Knex } from 'knex';

const OAUTH_PROVIDERS = ['github', 'telegram'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oauth_accounts', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.uuid('admin_id').notNullable().references('id').inTable('admin_users').onDelete('CASCADE');
    table.text('provider').notNullable().checkIn(OAUTH_PROVIDERS, 'oauth_accounts_provider_check');
    table.text('provider_user_id').notNullable();
    table.text('provider_username').nullable();
    // Encrypted by the application with DATA_ENCRYPTION_KEY.
    table.text('access_token_encrypted').nullable();
    table.text('refresh_token_encrypted').nullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // An outside account signs in as one admin only; an admin links one account per provider.
    table.unique(['provider', 'provider_user_id'], { indexName: 'oauth_accounts_provider_user_unique' });
    table.unique(['admin_id', 'provider'], { indexName: 'oauth_accounts_admin_provider_unique' });
  });
  await knex.raw(
    'CREATE TRIGGER oauth_accounts_set_updated_at BEFORE UPDATE ON oauth_accounts FOR EACH ROW EXECUTE FUNCTION set_updated_at()',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('oauth_accounts');
}
