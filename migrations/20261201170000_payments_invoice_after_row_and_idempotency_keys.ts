import type { Knex } from 'knex';

/**
 * A payment row is written before its Crypto Pay invoice exists (so no invoice is ever without a
 * row): `external_invoice_id` stays NULL until the invoice is made, and for good when making it
 * failed. The unique index on (provider, external_invoice_id) is kept: NULLs do not collide.
 *
 * `payment_idempotency_keys`: the `Idempotency-Key` of invoice requests, in PostgreSQL so a retry
 * is recognised even after Redis was lost. One key per caller (admin or API key); the request's
 * fingerprint tells a retry from a reuse; `response_*` stay NULL while the first request runs.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('payments', (table) => {
    table.text('external_invoice_id').nullable().alter();
  });
  await knex.schema.createTable('payment_idempotency_keys', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // `admin:<uuid>` or `api_key:<uuid>`: keys of different callers never meet.
    table.text('caller').notNullable();
    table.text('idempotency_key').notNullable();
    table.text('request_fingerprint').notNullable();
    table.uuid('payment_id').nullable().references('id').inTable('payments').onDelete('CASCADE');
    table.integer('response_status').nullable();
    table.jsonb('response_body').nullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.unique(['caller', 'idempotency_key'], { indexName: 'payment_idempotency_keys_caller_key_unique' });
    table.check('(response_status IS NULL) = (response_body IS NULL)', undefined, 'payment_idempotency_keys_response_check');
  });
  await knex.raw('CREATE INDEX payment_idempotency_keys_payment_id_index ON payment_idempotency_keys (payment_id) WHERE payment_id IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('payment_idempotency_keys');
  // Rows that never got an invoice keep a placeholder unique per row, so NOT NULL can return
  // without deleting the record of a failed attempt.
  await knex.raw("UPDATE payments SET external_invoice_id = 'none:' || id WHERE external_invoice_id IS NULL");
  await knex.schema.alterTable('payments', (table) => {
    table.text('external_invoice_id').notNullable().alter();
  });
}
