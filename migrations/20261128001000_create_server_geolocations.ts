import type { Knex } from 'knex';

/** Our addition to Remnawave nodes (which stay in Remnawave): where each one sits on the map. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('server_geolocations', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.uuid('node_uuid').notNullable().unique({ indexName: 'server_geolocations_node_uuid_unique' });
    table.specificType('country_code', 'char(2)').notNullable(); // ISO 3166-1 alpha-2
    table.text('city').nullable();
    table.double('latitude').notNullable();
    table.double('longitude').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.check("country_code ~ '^[A-Z]{2}$'", undefined, 'server_geolocations_country_code_check');
    // BETWEEN also refuses NaN and infinities (NaN sorts above every number in PostgreSQL).
    table.check('latitude BETWEEN -90 AND 90', undefined, 'server_geolocations_latitude_check');
    table.check('longitude BETWEEN -180 AND 180', undefined, 'server_geolocations_longitude_check');
  });
  await knex.raw(
    'CREATE TRIGGER server_geolocations_set_updated_at BEFORE UPDATE ON server_geolocations FOR EACH ROW EXECUTE FUNCTION set_updated_at()',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('server_geolocations');
}
