import type { Knex } from 'knex';

/**
 * What delivery needs on top of the record: the claim taken right before Telegram is called (so a
 * retry can tell "never sent" from "outcome unknown"), Telegram's message id, and the fan-out of a
 * message to the admins into one row per admin (`parent_id`), resolved at send time.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notification_queue', (table) => {
    table.uuid('claim_id').nullable();
    table.timestamp('claimed_at', { useTz: true }).nullable();
    table.bigInteger('telegram_message_id').nullable();
    table.uuid('parent_id').nullable().references('id').inTable('notification_queue').onDelete('CASCADE');
  });
  await knex.raw('CREATE INDEX notification_queue_parent_id_index ON notification_queue (parent_id) WHERE parent_id IS NOT NULL');
  // The sweep's scan: pending rows by age, the ones whose job may have been lost.
  await knex.raw("CREATE INDEX notification_queue_pending_created_at_index ON notification_queue (created_at) WHERE status = 'pending'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS notification_queue_pending_created_at_index');
  await knex.raw('DROP INDEX IF EXISTS notification_queue_parent_id_index');
  await knex.schema.alterTable('notification_queue', (table) => {
    table.dropColumn('parent_id');
    table.dropColumn('telegram_message_id');
    table.dropColumn('claimed_at');
    table.dropColumn('claim_id');
  });
}
