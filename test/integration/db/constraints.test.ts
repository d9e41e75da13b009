import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import knex, { type Knex } from 'knex';
import { knexConfig } from '../../../src/infrastructure/db/knex';
import { testDatabaseUrl, truncateAllTables } from '../../support/database';

const UNIQUE_VIOLATION = '23505';
const CHECK_VIOLATION = '23514';
const FOREIGN_KEY_VIOLATION = '23503';

/** Awaits a statement that must fail, and checks the PostgreSQL error code and constraint name. */
async function expectViolation(statement: PromiseLike<unknown>, code: string, constraint: string): Promise<void> {
  let failure: unknown;
  try {
    await statement;
  } catch (error) {
    failure = error;
  }
  expect(failure, 'the statement was accepted').to.be.instanceOf(Error);
  expect(failure).to.include({ code, constraint });
}

describe('database constraints', function () {
  this.timeout(30_000);
  let db: Knex;

  const admin = (fields: Record<string, unknown> = {}) => ({
    login: `admin_${randomUUID().slice(0, 8)}`,
    password_hash: '$2b$12$not-a-real-hash',
    role: 'viewer',
    ...fields,
  });

  async function insertAdmin(fields: Record<string, unknown> = {}): Promise<string> {
    const [row] = await db('admin_users').insert(admin(fields)).returning('id');
    return row.id;
  }

  const plan = (fields: Record<string, unknown> = {}) => ({
    name: `Plan ${randomUUID().slice(0, 8)}`,
    tier: 'standard',
    duration_days: 30,
    price: '4.99',
    currency: 'USD',
    device_limit: 3,
    ...fields,
  });

  async function insertPlan(fields: Record<string, unknown> = {}): Promise<string> {
    const [row] = await db('subscription_plans').insert(plan(fields)).returning('id');
    return row.id;
  }

  const payment = (planId: string, fields: Record<string, unknown> = {}) => ({
    external_invoice_id: String(Math.floor(Math.random() * 1e9)),
    user_id: '42',
    plan_id: planId,
    amount: '4.99',
    asset: 'USDT',
    subscription_days: 30,
    ...fields,
  });

  const location = (fields: Record<string, unknown> = {}) => ({
    node_uuid: randomUUID(),
    country_code: 'DE',
    city: 'Frankfurt',
    latitude: 50.11,
    longitude: 8.68,
    ...fields,
  });

  /** Number(): COUNT(*) is int8, a string or a number depending on the pg type parser installed. */
  async function countRows(table: string, where: Record<string, unknown> = {}): Promise<number> {
    const [row] = await db(table).where(where).count({ count: '*' });
    return Number(row?.count);
  }

  before(() => {
    db = knex(knexConfig({ url: testDatabaseUrl(), poolMax: 2 }));
  });

  afterEach(async () => {
    await truncateAllTables(db);
  });

  after(async () => {
    await db.destroy();
  });

  describe('admin_users', () => {
    it('when a login differs from an existing one only in case, then the insert fails as a duplicate', async () => {
      await insertAdmin({ login: 'Alice' });
      await expectViolation(db('admin_users').insert(admin({ login: 'aLICE' })), UNIQUE_VIOLATION, 'admin_users_login_lower_unique');
    });

    it('when an email differs from an existing one only in case, then the insert fails as a duplicate', async () => {
      await insertAdmin({ email: 'ops@example.com' });
      await expectViolation(
        db('admin_users').insert(admin({ email: 'OPS@Example.com' })),
        UNIQUE_VIOLATION,
        'admin_users_email_lower_unique',
      );
    });

    it('when several admins have no email, then they are all accepted', async () => {
      await insertAdmin();
      await insertAdmin();
      expect(await countRows('admin_users', { email: null })).to.equal(2);
    });

    it('when a telegram_id is already linked to another admin, then the insert fails as a duplicate', async () => {
      await insertAdmin({ telegram_id: 123456789 });
      await expectViolation(
        db('admin_users').insert(admin({ telegram_id: 123456789 })),
        UNIQUE_VIOLATION,
        'admin_users_telegram_id_unique',
      );
    });

    it("when the role is 'root', then the insert fails the role check", async () => {
      await expectViolation(db('admin_users').insert(admin({ role: 'root' })), CHECK_VIOLATION, 'admin_users_role_check');
    });

    it('when an admin row is updated, then updated_at moves forward on its own', async () => {
      const id = await insertAdmin();
      const [{ updated_at: before }] = await db('admin_users').where({ id }).select('updated_at');
      await new Promise((resolve) => setTimeout(resolve, 20));
      await db('admin_users').where({ id }).update({ is_active: false });
      const [{ updated_at: after }] = await db('admin_users').where({ id }).select('updated_at');
      expect(after.getTime()).to.be.greaterThan(before.getTime());
    });

    it('when an admin is deleted, then their refresh tokens and OAuth links go with them', async () => {
      const id = await insertAdmin();
      await db('refresh_tokens').insert({
        admin_id: id,
        token_hash: 'hash-1',
        family_id: randomUUID(),
        expires_at: new Date(Date.now() + 60_000),
      });
      await db('oauth_accounts').insert({ admin_id: id, provider: 'github', provider_user_id: '1' });
      await db('admin_users').where({ id }).delete();
      expect(await countRows('refresh_tokens')).to.equal(0);
      expect(await countRows('oauth_accounts')).to.equal(0);
    });
  });

  describe('refresh_tokens and admin_invites', () => {
    it('when a refresh token names an admin that does not exist, then the insert fails the foreign key', async () => {
      await expectViolation(
        db('refresh_tokens').insert({
          admin_id: randomUUID(),
          token_hash: 'hash-2',
          family_id: randomUUID(),
          expires_at: new Date(Date.now() + 60_000),
        }),
        FOREIGN_KEY_VIOLATION,
        'refresh_tokens_admin_id_foreign',
      );
    });

    it("when an invite's role is 'root', then the insert fails the role check", async () => {
      await expectViolation(
        db('admin_invites').insert({ token_hash: 'invite-1', role: 'root', expires_at: new Date() }),
        CHECK_VIOLATION,
        'admin_invites_role_check',
      );
    });
  });

  describe('subscription_plans', () => {
    it('when duration_days is 0, then the insert fails the duration check', async () => {
      await expectViolation(
        db('subscription_plans').insert(plan({ duration_days: 0 })),
        CHECK_VIOLATION,
        'subscription_plans_duration_days_check',
      );
    });

    it('when duration_days is 3651, then the insert fails the duration check', async () => {
      await expectViolation(
        db('subscription_plans').insert(plan({ duration_days: 3651 })),
        CHECK_VIOLATION,
        'subscription_plans_duration_days_check',
      );
    });

    it('when a plan name differs from an existing one only in case, then the insert fails as a duplicate', async () => {
      await insertPlan({ name: 'Monthly' });
      await expectViolation(
        db('subscription_plans').insert(plan({ name: 'MONTHLY' })),
        UNIQUE_VIOLATION,
        'subscription_plans_name_lower_unique',
      );
    });

    it('when the price is negative, then the insert fails the price check', async () => {
      await expectViolation(
        db('subscription_plans').insert(plan({ price: '-0.01' })),
        CHECK_VIOLATION,
        'subscription_plans_price_check',
      );
    });

    it('when the currency is lower-case, then the insert fails the currency check', async () => {
      await expectViolation(
        db('subscription_plans').insert(plan({ currency: 'usd' })),
        CHECK_VIOLATION,
        'subscription_plans_currency_check',
      );
    });

    it('when a plan that has payments is deleted, then the delete fails the foreign key', async () => {
      const planId = await insertPlan();
      await db('payments').insert(payment(planId));
      await expectViolation(
        db('subscription_plans').where({ id: planId }).delete(),
        FOREIGN_KEY_VIOLATION,
        'payments_plan_id_foreign',
      );
    });
  });

  describe('payments', () => {
    it('when a second payment has the same provider and invoice id, then the insert fails as a duplicate', async () => {
      const planId = await insertPlan();
      await db('payments').insert(payment(planId, { external_invoice_id: 'INV-1' }));
      await expectViolation(
        db('payments').insert(payment(planId, { external_invoice_id: 'INV-1', user_id: '43' })),
        UNIQUE_VIOLATION,
        'payments_provider_external_invoice_id_unique',
      );
    });

    it('when two providers use the same invoice id, then both payments are accepted', async () => {
      const planId = await insertPlan();
      await db('payments').insert(payment(planId, { external_invoice_id: 'INV-2' }));
      await db('payments').insert(payment(planId, { external_invoice_id: 'INV-2', provider: 'other' }));
      const rows = await db('payments').where({ external_invoice_id: 'INV-2' }).pluck('provider');
      expect(rows).to.have.members(['cryptobot', 'other']);
    });

    it('when the amount is 0, then the insert fails the amount check', async () => {
      const planId = await insertPlan();
      await expectViolation(
        db('payments').insert(payment(planId, { amount: '0' })),
        CHECK_VIOLATION,
        'payments_amount_check',
      );
    });

    it('when the status is unknown, then the insert fails the status check', async () => {
      const planId = await insertPlan();
      await expectViolation(
        db('payments').insert(payment(planId, { status: 'paid' })),
        CHECK_VIOLATION,
        'payments_status_check',
      );
    });

    it('when the plan does not exist, then the insert fails the foreign key', async () => {
      await expectViolation(
        db('payments').insert(payment(randomUUID())),
        FOREIGN_KEY_VIOLATION,
        'payments_plan_id_foreign',
      );
    });
  });

  describe('webhook_logs', () => {
    const delivery = (fields: Record<string, unknown> = {}) => ({
      source: 'cryptobot',
      event_type: 'invoice_paid',
      dedupe_key: 'invoice:1',
      payload: JSON.stringify({ update_type: 'invoice_paid' }),
      is_valid: true,
      ...fields,
    });

    it('when a valid event repeats the dedupe key of a valid one, then the insert fails as a duplicate', async () => {
      await db('webhook_logs').insert(delivery());
      await expectViolation(
        db('webhook_logs').insert(delivery()),
        UNIQUE_VIOLATION,
        'webhook_logs_source_dedupe_key_unique',
      );
    });

    it('when forged deliveries repeat a dedupe key, then they are all logged and the real one still fits', async () => {
      await db('webhook_logs').insert(delivery({ is_valid: false }));
      await db('webhook_logs').insert(delivery({ is_valid: false }));
      await db('webhook_logs').insert(delivery());
      const rows = await db('webhook_logs').orderBy('is_valid').pluck('is_valid');
      expect(rows).to.deep.equal([false, false, true]);
    });

    it('when the source is unknown, then the insert fails the source check', async () => {
      await expectViolation(
        db('webhook_logs').insert(delivery({ source: 'stripe' })),
        CHECK_VIOLATION,
        'webhook_logs_source_check',
      );
    });
  });

  describe('oauth_accounts', () => {
    it('when an outside account is already linked to another admin, then the insert fails as a duplicate', async () => {
      const first = await insertAdmin();
      const second = await insertAdmin();
      await db('oauth_accounts').insert({ admin_id: first, provider: 'github', provider_user_id: '77' });
      await expectViolation(
        db('oauth_accounts').insert({ admin_id: second, provider: 'github', provider_user_id: '77' }),
        UNIQUE_VIOLATION,
        'oauth_accounts_provider_user_unique',
      );
    });

    it('when an admin links a second account of the same provider, then the insert fails as a duplicate', async () => {
      const id = await insertAdmin();
      await db('oauth_accounts').insert({ admin_id: id, provider: 'telegram', provider_user_id: '1' });
      await expectViolation(
        db('oauth_accounts').insert({ admin_id: id, provider: 'telegram', provider_user_id: '2' }),
        UNIQUE_VIOLATION,
        'oauth_accounts_admin_provider_unique',
      );
    });
  });

  describe('notification_queue', () => {
    it('when a notification names both a Telegram user and the admins, then the insert fails the target check', async () => {
      await expectViolation(
        db('notification_queue').insert({ target_telegram_id: 1001, to_admins: true, message: 'hi' }),
        CHECK_VIOLATION,
        'notification_queue_target_check',
      );
    });

    it('when a notification names no recipient, then the insert fails the target check', async () => {
      await expectViolation(
        db('notification_queue').insert({ message: 'hi' }),
        CHECK_VIOLATION,
        'notification_queue_target_check',
      );
    });

    it('when a notification names exactly one kind of recipient, then it is queued as pending', async () => {
      await db('notification_queue').insert({ target_telegram_id: 1001, message: 'to a user' });
      await db('notification_queue').insert({ to_admins: true, message: 'to the admins' });
      expect(await db('notification_queue').pluck('status')).to.deep.equal(['pending', 'pending']);
    });

    it('when a second reminder has the same dedupe key, then the insert fails as a duplicate', async () => {
      const reminder = { target_telegram_id: 1001, message: 'expires soon', dedupe_key: 'expiry:42:2026-12-01' };
      await db('notification_queue').insert(reminder);
      await expectViolation(
        db('notification_queue').insert(reminder),
        UNIQUE_VIOLATION,
        'notification_queue_dedupe_key_unique',
      );
    });
  });

  describe('server_geolocations', () => {
    for (const [column, value] of [
      ['latitude', 91],
      ['latitude', -91],
      ['longitude', 181],
      ['longitude', -181],
      ['latitude', Number.NaN],
    ] as const) {
      it(`when ${column} is ${value}, then the insert fails the ${column} check`, async () => {
        await expectViolation(
          db('server_geolocations').insert(location({ [column]: value })),
          CHECK_VIOLATION,
          `server_geolocations_${column}_check`,
        );
      });
    }

    it('when the coordinates sit exactly on the limits, then the location is accepted', async () => {
      await db('server_geolocations').insert(location({ latitude: -90, longitude: 180 }));
      await db('server_geolocations').insert(location({ latitude: 90, longitude: -180 }));
      expect(await countRows('server_geolocations')).to.equal(2);
    });

    it('when the country code is lower-case, then the insert fails the country code check', async () => {
      await expectViolation(
        db('server_geolocations').insert(location({ country_code: 'de' })),
        CHECK_VIOLATION,
        'server_geolocations_country_code_check',
      );
    });

    it('when a node already has a location, then a second one fails as a duplicate', async () => {
      const nodeUuid = randomUUID();
      await db('server_geolocations').insert(location({ node_uuid: nodeUuid }));
      await expectViolation(
        db('server_geolocations').insert(location({ node_uuid: nodeUuid })),
        UNIQUE_VIOLATION,
        'server_geolocations_node_uuid_unique',
      );
    });
  });
});
