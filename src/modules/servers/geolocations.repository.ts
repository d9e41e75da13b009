import type { Knex } from 'knex';

/** Where each node is on the map: ours (the panel has only a country code). */
export interface Geolocation {
  node_uuid: string;
  country_code: string;
  city: string | null;
  latitude: number;
  longitude: number;
  updated_at: Date;
}

export type GeolocationInput = Omit<Geolocation, 'node_uuid' | 'updated_at'>;

const TABLE = 'server_geolocations';
const COLUMNS = ['node_uuid', 'country_code', 'city', 'latitude', 'longitude', 'updated_at'] as const;

export class GeolocationRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  async find(nodeUuid: string): Promise<Geolocation | undefined> {
    return (await this.db<Geolocation>(TABLE).select(COLUMNS).where({ node_uuid: nodeUuid }).first()) as Geolocation | undefined;
  }

  async all(): Promise<Geolocation[]> {
    return (await this.db<Geolocation>(TABLE).select(COLUMNS)) as Geolocation[];
  }

  async upsert(nodeUuid: string, location: GeolocationInput): Promise<Geolocation> {
    const [row] = await this.db(TABLE)
      .insert({ node_uuid: nodeUuid, ...location })
      .onConflict('node_uuid')
      .merge({ ...location })
      .returning(COLUMNS);
    return row as Geolocation;
  }
}
