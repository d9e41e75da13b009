import type { Knex } from 'knex';

// A migration is a frozen record: the list is spelled out here, not imported from src/.
const ADMIN_ROLES = ['viewer', 'support', 'operator', 'admin', 'super_admin'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('admin_users', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // Stored as typed; uniqueness ignores case (see the lower() indexes below), so "Alice" and
    // "alice" cannot be two accounts.
    table.text('login').notNullable();
    table.text('email').nullable();
    table.text('password_hash').notNullable();
    table.text('role').notNullable().checkIn(ADMIN_ROLES, 'admin_users_role_check');
    table.bigInteger('telegram_id').nullable().unique({ indexName: 'admin_users_telegram_id_unique' });
    table.boolean('is_active').notNullable().defaultTo(true);
    // Encrypted by the application with DATA_ENCRYPTION_KEY; never stored in clear.
    table.text('totp_secret_encrypted').nullable();
    table.boolean('totp_enabled').notNullable().defaultTo(false);
    table.specificType('backup_code_hashes', 'text[]').notNullable().defaultTo('{}');
    // Access and refresh tokens issued before this instant are refused: logout-all,
    // deactivation and password change take effect on the very next request.
    table.timestamp('sessions_valid_after', { useTz: true }).nullable();
    table.integer('failed_login_count').notNullable().defaultTo(0);
    table.timestamp('locked_until', { useTz: true }).nullable();
    table.timestamp('last_login_at', { useTz: true }).nullable();
    table.text('last_login_ip').nullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.check('failed_login_count >= 0', undefined, 'admin_users_failed_login_count_check');
  });
  await knex.raw('CREATE UNIQUE INDEX admin_users_login_lower_unique ON admin_users (lower(login))');
  await knex.raw('CREATE UNIQUE INDEX admin_users_email_lower_unique ON admin_users (lower(email))');
  await knex.raw(
    'CREATE TRIGGER admin_users_set_updated_at BEFORE UPDATE ON admin_users FOR EACH ROW EXECUTE FUNCTION set_updated_at()',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('admin_users');
}
