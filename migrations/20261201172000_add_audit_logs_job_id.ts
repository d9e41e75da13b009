import type { Knex } from 'knex';

/** A change made by a worker's job is traced to that job, as a request's is to its request id. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_logs', (table) => {
    table.text('job_id').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_logs', (table) => {
    table.dropColumn('job_id');
  });
}
