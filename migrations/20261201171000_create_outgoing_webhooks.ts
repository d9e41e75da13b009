import type { Knex } from 'knex';

const EVENTS = ['payment.completed', 'payment.failed', 'user.expired', 'node.down', 'node.up'];
const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'cancelled'];

/**
 * The operator's own systems, told of events by signed HTTP calls. The signing secret is kept
 * encrypted (AES-GCM under DATA_ENCRYPTION_KEY): unlike an API key it must be read back to sign.
 * A delivery keeps its exact body, so every attempt sends (and signs) the same bytes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('outgoing_webhooks', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.text('url').notNullable();
    table.specificType('events', 'text[]').notNullable();
    table.text('description').nullable();
    table.text('secret_encrypted').notNullable();
    table.boolean('is_active').notNullable().defaultTo(true);
    // Deliveries that failed for good in a row; reaching the configured limit disables the endpoint.
    table.integer('consecutive_failures').notNullable().defaultTo(0);
    table.text('disabled_reason').nullable();
    table.uuid('created_by').nullable().references('id').inTable('admin_users').onDelete('SET NULL');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.check('cardinality(events) > 0', undefined, 'outgoing_webhooks_events_check');
    table.check('consecutive_failures >= 0', undefined, 'outgoing_webhooks_consecutive_failures_check');
  });
  await knex.raw(
    `ALTER TABLE outgoing_webhooks ADD CONSTRAINT outgoing_webhooks_known_events_check CHECK (events <@ ARRAY[${EVENTS.map((e) => `'${e}'`).join(', ')}]::text[])`,
  );
  // emit(): the active endpoints subscribed to one event.
  await knex.raw('CREATE INDEX outgoing_webhooks_active_events_index ON outgoing_webhooks USING gin (events) WHERE is_active');
  await knex.raw(
    'CREATE TRIGGER outgoing_webhooks_set_updated_at BEFORE UPDATE ON outgoing_webhooks FOR EACH ROW EXECUTE FUNCTION set_updated_at()',
  );

  await knex.schema.createTable('outgoing_webhook_deliveries', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.uuid('endpoint_id').notNullable().references('id').inTable('outgoing_webhooks').onDelete('CASCADE');
    table.text('event').notNullable();
    table.text('body').notNullable();
    table.text('status').notNullable().defaultTo('pending').checkIn(DELIVERY_STATUSES, 'outgoing_webhook_deliveries_status_check');
    table.integer('attempts').notNullable().defaultTo(0);
    table.integer('last_status_code').nullable();
    table.text('last_error').nullable(); // a safe message: never the receiver's body
    table.timestamp('delivered_at', { useTz: true }).nullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // The delivery history of one endpoint, newest first; and the sweep of pending ones.
  await knex.raw('CREATE INDEX outgoing_webhook_deliveries_endpoint_created_at_index ON outgoing_webhook_deliveries (endpoint_id, created_at DESC)');
  await knex.raw("CREATE INDEX outgoing_webhook_deliveries_pending_index ON outgoing_webhook_deliveries (created_at) WHERE status = 'pending'");
  await knex.raw(
    'CREATE TRIGGER outgoing_webhook_deliveries_set_updated_at BEFORE UPDATE ON outgoing_webhook_deliveries FOR EACH ROW EXECUTE FUNCTION set_updated_at()',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('outgoing_webhook_deliveries');
  await knex.schema.dropTable('outgoing_webhooks');
}
