import type { Knex } from 'knex';

const PAYMENT_STATUSES = ['pending', 'completed', 'failed', 'expired', 'cancelled'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('payments', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.text('provider').notNullable().defaultTo('cryptobot');
    table.text('external_invoice_id').notNullable();
    // The Remnawave user id. Numeric in Remnawave 3.x, but kept as text: it is an identifier of
    // another system, never arithmetic, and text survives any id format that system moves to
    // (2.x used UUIDs) with no risk of JavaScript number precision loss.
    table.text('user_id').notNullable();
    // RESTRICT: a plan that was paid for cannot vanish from under its payments (deactivate it).
    table.uuid('plan_id').notNullable().references('id').inTable('subscription_plans').onDelete('RESTRICT');
    table.decimal('amount', 18, 8).notNullable();
    table.text('asset').notNullable();
    table.text('status').notNullable().defaultTo('pending').checkIn(PAYMENT_STATUSES, 'payments_status_check');
    // Copied from the plan at purchase time: editing the plan later does not change what was sold.
    table.integer('subscription_days').notNullable();
    // The absolute expiry computed once when the payment is applied; retries SET this value in
    // Remnawave instead of adding the duration again.
    table.timestamp('new_expire_at', { useTz: true }).nullable();
    table.timestamp('paid_at', { useTz: true }).nullable();
    table.timestamp('subscription_applied_at', { useTz: true }).nullable();
    table.text('payment_url').nullable();
    table.timestamp('expires_at', { useTz: true }).nullable(); // when the invoice stops being payable
    table.jsonb('metadata').notNullable().defaultTo('{}');
    table.uuid('created_by').nullable().references('id').inTable('admin_users').onDelete('SET NULL');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // A provider's invoice is paid for once: the webhook worker relies on this to deduplicate.
    table.unique(['provider', 'external_invoice_id'], { indexName: 'payments_provider_external_invoice_id_unique' });
    table.check("user_id <> ''", undefined, 'payments_user_id_check');
    table.check('amount > 0', undefined, 'payments_amount_check');
    table.check('subscription_days > 0', undefined, 'payments_subscription_days_check');
    table.check("jsonb_typeof(metadata) = 'object'", undefined, 'payments_metadata_check');
    table.index(['plan_id'], 'payments_plan_id_index'); // the RESTRICT check on plan deletion
  });
  // GET /payments filters (user_id, status, from/to), newest first.
  await knex.raw('CREATE INDEX payments_user_id_created_at_index ON payments (user_id, created_at DESC)');
  await knex.raw('CREATE INDEX payments_status_created_at_index ON payments (status, created_at DESC)');
  await knex.raw('CREATE INDEX payments_created_at_index ON payments (created_at DESC)');
  await knex.raw('CREATE INDEX payments_created_by_index ON payments (created_by) WHERE created_by IS NOT NULL');
  await knex.raw(
    'CREATE TRIGGER payments_set_updated_at BEFORE UPDATE ON payments FOR EACH ROW EXECUTE FUNCTION set_updated_at()',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('payments');
}
