import type { Knex } from 'knex';

const NOTIFICATION_STATUSES = ['pending', 'sent', 'failed', 'cancelled'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notification_queue', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.bigInteger('target_telegram_id').nullable();
    table.boolean('to_admins').notNullable().defaultTo(false);
    table.text('message').notNullable();
    table.text('status').notNullable().defaultTo('pending').checkIn(NOTIFICATION_STATUSES, 'notification_queue_status_check');
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('error').nullable();
    table.timestamp('send_at', { useTz: true }).nullable(); // null = as soon as possible
    table.timestamp('sent_at', { useTz: true }).nullable();
    table.uuid('created_by').nullable().references('id').inTable('admin_users').onDelete('SET NULL');
    // E.g. "expiry-reminder:<user>:<expire_at>": one reminder per expiry, however often the job runs.
    table.text('dedupe_key').nullable().unique({ indexName: 'notification_queue_dedupe_key_unique' });
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // A message goes either to one Telegram user or to the admins, never both, never nobody.
    table.check('(target_telegram_id IS NOT NULL) <> to_admins', undefined, 'notification_queue_target_check');
    table.check("message <> ''", undefined, 'notification_queue_message_check');
    table.check('attempts >= 0', undefined, 'notification_queue_attempts_check');
  });
  // GET /notifications (status filter), newest first; and the scheduler's "what is due" scan.
  await knex.raw('CREATE INDEX notification_queue_status_created_at_index ON notification_queue (status, created_at DESC)');
  await knex.raw('CREATE INDEX notification_queue_created_at_index ON notification_queue (created_at DESC)');
  await knex.raw("CREATE INDEX notification_queue_pending_send_at_index ON notification_queue (send_at) WHERE status = 'pending'");
  await knex.raw(
    'CREATE INDEX notification_queue_created_by_index ON notification_queue (created_by) WHERE created_by IS NOT NULL',
  );
  await knex.raw(
    'CREATE TRIGGER notification_queue_set_updated_at BEFORE UPDATE ON notification_queue FOR EACH ROW EXECUTE FUNCTION set_updated_at()',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('notification_queue');
}
