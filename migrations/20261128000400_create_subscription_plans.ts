import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('subscription_plans', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.text('name').notNullable();
    table.text('tier').notNullable();
    table.integer('duration_days').notNullable();
    // numeric, never float: money. The pg driver hands it back as a string (no rounding).
    table.decimal('price', 12, 2).notNullable();
    table.text('currency').notNullable();
    table.bigInteger('traffic_limit_bytes').nullable(); // null = unlimited
    table.integer('device_limit').notNullable().defaultTo(1);
    table.jsonb('features').notNullable().defaultTo('[]');
    table.boolean('is_active').notNullable().defaultTo(true);
    table.integer('sort_order').notNullable().defaultTo(0);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.check('duration_days BETWEEN 1 AND 3650', undefined, 'subscription_plans_duration_days_check');
    table.check('price >= 0', undefined, 'subscription_plans_price_check');
    table.check("currency ~ '^[A-Z]{3,10}$'", undefined, 'subscription_plans_currency_check');
    table.check('traffic_limit_bytes >= 0', undefined, 'subscription_plans_traffic_limit_bytes_check');
    table.check('device_limit >= 1', undefined, 'subscription_plans_device_limit_check');
    table.check("jsonb_typeof(features) = 'array'", undefined, 'subscription_plans_features_check');
    // GET /plans (public): the active plans in display order.
    table.index(['is_active', 'sort_order'], 'subscription_plans_is_active_sort_order_index');
  });
  await knex.raw('CREATE UNIQUE INDEX subscription_plans_name_lower_unique ON subscription_plans (lower(name))');
  await knex.raw(
    'CREATE TRIGGER subscription_plans_set_updated_at BEFORE UPDATE ON subscription_plans FOR EACH ROW EXECUTE FUNCTION set_updated_at()',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('subscription_plans');
}
