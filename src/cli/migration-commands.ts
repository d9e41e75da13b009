/** What `npm run migrate*` / `npm run seed` do to the database; `npm run dev` runs latest and seed in-process. */
import path from 'node:path';
import type { Knex } from 'knex';

const DATABASE_COMMANDS = ['latest', 'rollback', 'rollback-all', 'status', 'seed'] as const;
export type DatabaseCommand = (typeof DATABASE_COMMANDS)[number];

export function isDatabaseCommand(command: string): command is DatabaseCommand {
  return (DATABASE_COMMANDS as readonly string[]).includes(command);
}

function list(names: readonly string[]): string {
  return names.length === 0 ? '  (none)' : names.map((name) => `  ${name}`).join('\n');
}

export async function runDatabaseCommand(db: Knex, command: DatabaseCommand): Promise<void> {
  switch (command) {
    case 'latest': {
      const [batch, names] = (await db.migrate.latest()) as [number, string[]];
      console.log(names.length === 0 ? 'Already up to date.' : `Batch ${batch} applied:\n${list(names)}`);
      return;
    }
    case 'rollback':
    case 'rollback-all': {
      const [batch, names] = (await db.migrate.rollback(undefined, command === 'rollback-all')) as [number, string[]];
      const what = command === 'rollback-all' ? 'Rolled back everything' : `Batch ${batch} rolled back`;
      console.log(names.length === 0 ? 'Nothing to roll back.' : `${what}:\n${list(names)}`);
      return;
    }
    case 'status': {
      const [completed, pending] = (await db.migrate.list()) as [Array<{ name: string }>, string[]];
      console.log(`Applied (${completed.length}):\n${list(completed.map((m) => m.name))}`);
      console.log(`Pending (${pending.length}):\n${list(pending)}`);
      return;
    }
    case 'seed': {
      const [files] = (await db.seed.run()) as [string[]];
      console.log(`Seeds run:\n${list(files.map((file) => path.basename(file)))}`);
      return;
    }
  }
}
