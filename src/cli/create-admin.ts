/**
 * Creates an admin account from the shell; how the first super_admin comes to exist.
 *   npm run admin:create -- --login alice [--email a@example.com] [--role super_admin]
 *   printf '%s\n' "$PASSWORD" | npm run admin:create -- --login alice --password-stdin
 * The password comes from a hidden prompt (asked twice) or from stdin, never from a flag: a flag
 * would land in the shell history and in every process listing. Without DATABASE_URL in
 * development, the account goes into the database of `npm run dev` (dev-database.ts).
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { asValue } from 'awilix';
import Joi from 'joi';
import type { Knex } from 'knex';
import { loadConfigOrExit } from '../config';
import { buildContainer } from '../container';
import { AppError } from '../shared/errors';
import { ROLES, type Role } from '../shared/permissions';
import { toAdminView } from '../modules/admins/admins.repository';
import { emailSchema } from '../modules/admins/admins.schemas';
import { loginSchema, passwordSchema } from '../modules/auth/auth.schemas';
import { useDevelopmentDatabaseOrExit } from './dev-database';

const USAGE = `Usage: admin:create --login <login> [--email <email>] [--role <${ROLES.join('|')}>] [--password-stdin]
  The password is prompted for (hidden, twice) on a terminal, or read from stdin with --password-stdin.`;

/** Why the command refused: printed as is, without a stack. */
class UsageError extends Error {}

interface Input {
  login: string;
  email?: string;
  role: Role;
  password: string;
}

const inputSchema = Joi.object<Input>({
  login: loginSchema.required(),
  email: emailSchema,
  role: Joi.string()
    .valid(...ROLES)
    .default('super_admin'),
  password: passwordSchema.required(),
});

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        login: { type: 'string' },
        email: { type: 'string' },
        role: { type: 'string' },
        'password-stdin': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    const hint = argv.some((arg) => /^--password(=|$)/.test(arg)) ? '\nPasswords are never taken from flags: use the prompt or --password-stdin.' : '';
    throw new UsageError(`${(error as Error).message}${hint}\n${USAGE}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is the line ending of `echo`/`printf '%s\n'`, not part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** One answer typed without echo: the prompt is written, then the output is muted. */
async function askHidden(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!muted) process.stdout.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = rl.question(question);
    muted = true;
    return await answer;
  } finally {
    rl.close();
    process.stdout.write('\n');
  }
}

async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) return readStdin();
  if (!process.stdin.isTTY) throw new UsageError('No terminal to prompt on: pipe the password in with --password-stdin.');
  const password = await askHidden('Password: ');
  if ((await askHidden('Repeat password: ')) !== password) throw new UsageError('The passwords do not match.');
  return password;
}

function validate(raw: Record<string, unknown>): Input {
  const { error, value } = inputSchema.validate(raw, { abortEarly: false, errors: { wrap: { label: false } } });
  if (error) throw new UsageError(`Invalid input:\n${error.details.map((detail) => `  ${detail.message}`).join('\n')}`);
  return value;
}

async function createAdmin(input: Input): Promise<string> {
  const devDatabase = await useDevelopmentDatabaseOrExit();
  try {
    return await createAdminIn(input, { developmentDatabase: devDatabase !== undefined });
  } finally {
    await devDatabase?.stop();
  }
}

/**
 * An account needs the schema. The development database is brought up to date here, so that a
 * newcomer may run admin:create before ever running dev; any other database is only reported,
 * because migrating production is a deliberate step (npm run migrate:dist).
 */
async function ensureMigrated(db: Knex, { developmentDatabase }: { developmentDatabase: boolean }): Promise<void> {
  const [, pending] = (await db.migrate.list()) as [unknown[], string[]];
  if (pending.length === 0) return;
  if (!developmentDatabase) {
    throw new UsageError(`The database lacks ${pending.length} migration(s): run npm run migrate (npm run migrate:dist from dist/) first.`);
  }
  await db.migrate.latest();
  console.error(`Migrated the development database (${pending.length} migration(s)).`);
}

async function createAdminIn(input: Input, where: { developmentDatabase: boolean }): Promise<string> {
  const container = buildContainer(loadConfigOrExit());
  try {
    await ensureMigrated(container.cradle.db, where);
    // The repositories and the audit trail live in request scopes; the command is one "request".
    const scope = container.createScope();
    scope.register({ requestContext: asValue({ requestId: `cli-${randomUUID()}`, ip: 'cli', userAgent: 'admin:create' }) });
    try {
      const { passwordHasher, adminRepository, auditService } = scope.cradle;
      const passwordHash = await passwordHasher.hash(input.password);
      return await adminRepository.transaction(async (trx) => {
        const admin = await adminRepository.create({ login: input.login, email: input.email ?? null, role: input.role, password_hash: passwordHash }, trx);
        await auditService.record({ action: 'admin.created', adminId: null, entityType: 'admin', entityId: admin.id, newValue: { ...toAdminView(admin), via: 'cli' } }, trx);
        return admin.id;
      });
    } finally {
      await scope.dispose();
    }
  } finally {
    await container.dispose();
  }
}

async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  if (!flags.login) throw new UsageError(`--login is required.\n${USAGE}`);
  // Check the flags before asking for a password that would then be refused for a typo elsewhere.
  validate({ login: flags.login, email: flags.email, role: flags.role, password: 'Placeholder1' });
  const input = validate({ login: flags.login, email: flags.email, role: flags.role, password: await readPassword(flags['password-stdin']) });
  console.log(await createAdmin(input));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // A duplicate login or email is an AppError with a client-safe message; anything else keeps its stack.
  console.error(error instanceof UsageError || error instanceof AppError ? error.message : error);
  process.exitCode = 1;
});
