import type { Knex } from 'knex';

/**
 * Development plans. Idempotent: a plan whose name already exists (in any case) is left as it
 * is, so running the seeds again never duplicates or overwrites a plan edited through the API.
 */
const GiB = 1024 ** 3;

const PLANS = [
  {
    name: 'Trial',
    tier: 'basic',
    duration_days: 7,
    price: '0.00',
    device_limit: 1,
    traffic_limit_bytes: 10 * GiB,
    features: ['1 device', '10 GB traffic'],
    sort_order: 0,
  },
  {
    name: 'Monthly',
    tier: 'standard',
    duration_days: 30,
    price: '4.99',
    device_limit: 3,
    traffic_limit_bytes: null,
    features: ['3 devices', 'Unlimited traffic'],
    sort_order: 10,
  },
  {
    name: 'Quarterly',
    tier: 'standard',
    duration_days: 90,
    price: '12.99',
    device_limit: 3,
    traffic_limit_bytes: null,
    features: ['3 devices', 'Unlimited traffic'],
    sort_order: 20,
  },
  {
    name: 'Yearly',
    tier: 'premium',
    duration_days: 365,
    price: '44.99',
    device_limit: 5,
    traffic_limit_bytes: null,
    features: ['5 devices', 'Unlimited traffic', 'Priority support'],
    sort_order: 30,
  },
];

export async function seed(knex: Knex): Promise<void> {
  await knex('subscription_plans')
    .insert(
      // jsonb from a JS array must be sent as JSON text: pg would otherwise encode it as a
      // PostgreSQL array literal.
      PLANS.map((plan) => ({ ...plan, currency: 'USD', features: JSON.stringify(plan.features) })),
    )
    // The conflict target is the unique index on lower(name).
    .onConflict(knex.raw('((lower(name)))'))
    .ignore();
}
