import type { Knex } from 'knex';

const WEBHOOK_SOURCES = ['cryptobot', 'remnawave'];
const WEBHOOK_STATUSES = ['received', 'queued', 'processing', 'processed', 'failed', 'ignored'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhook_logs', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.text('source').notNullable().checkIn(WEBHOOK_SOURCES, 'webhook_logs_source_check');
    table.text('event_type').nullable(); // unknown when an invalid request cannot be parsed
    // What makes two deliveries the same event (CryptoBot: the invoice id, since update_id is not unique).
    table.text('dedupe_key').nullable();
    table.jsonb('payload').nullable();
    table.text('signature').nullable();
    table.boolean('is_valid').notNullable();
    table.text('status').notNullable().defaultTo('received').checkIn(WEBHOOK_STATUSES, 'webhook_logs_status_check');
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('error_message').nullable(); // a safe message, never a stack
    table.timestamp('processed_at', { useTz: true }).nullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.check('attempts >= 0', undefined, 'webhook_logs_attempts_check');
  });
  // One row per real event; forged (invalid) requests may repeat a key without blocking the real one.
  await knex.raw(
    'CREATE UNIQUE INDEX webhook_logs_source_dedupe_key_unique ON webhook_logs (source, dedupe_key) WHERE dedupe_key IS NOT NULL AND is_valid',
  );
  // GET /admin/webhook-log filters (source, status), newest first; the status index also serves
  // the worker's sweep for valid rows that were never queued.
  await knex.raw('CREATE INDEX webhook_logs_source_created_at_index ON webhook_logs (source, created_at DESC)');
  await knex.raw('CREATE INDEX webhook_logs_status_created_at_index ON webhook_logs (status, created_at DESC)');
  await knex.raw('CREATE INDEX webhook_logs_created_at_index ON webhook_logs (created_at DESC)');
  await knex.raw(
    'CREATE TRIGGER webhook_logs_set_updated_at BEFORE UPDATE ON webhook_logs FOR EACH ROW EXECUTE FUNCTION set_updated_at()',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_logs');
}
