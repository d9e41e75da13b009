import type { Knex } from 'knex';

/**
 * Broadcasts to VPN users: one row per broadcast (its segment, text and what resolving the panel
 * skipped), and one notification_queue row per recipient naming it, so its progress is a count of
 * its rows by status and its cancellation one UPDATE of its pending rows.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('broadcasts', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.text('segment').notNullable();
    table.text('message').notNullable();
    table.timestamp('send_at', { useTz: true }).nullable();
    table.text('status').notNullable().defaultTo('queued');
    table.integer('skipped_no_telegram').notNullable().defaultTo(0);
    table.uuid('created_by').nullable().references('id').inTable('admin_users').onDelete('SET NULL');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('cancelled_at', { useTz: true }).nullable();
  });
  await knex.raw("ALTER TABLE broadcasts ADD CONSTRAINT broadcasts_status_check CHECK (status IN ('queued', 'cancelled'))");
  await knex.schema.alterTable('notification_queue', (table) => {
    table.uuid('broadcast_id').nullable().references('id').inTable('broadcasts').onDelete('CASCADE');
  });
  await knex.raw('CREATE INDEX notification_queue_broadcast_id_index ON notification_queue (broadcast_id, status) WHERE broadcast_id IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS notification_queue_broadcast_id_index');
  await knex.schema.alterTable('notification_queue', (table) => {
    table.dropColumn('broadcast_id');
  });
  await knex.schema.dropTable('broadcasts');
}
