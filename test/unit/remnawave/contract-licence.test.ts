import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';

/**
 * @remnawave/backend-contract is AGPL-3.0: only test/fakes may use it. ESLint refuses the import
 * under src/ and workers/; this test also catches `require()` and dynamic imports it cannot see.
 */
const ROOT = path.resolve(__dirname, '../../..');
const SHIPPED = ['src', 'workers', 'migrations', 'seeds'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|js|mjs|cjs)$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

describe('AGPL contract package stays out of the shipped code', () => {
  it('when every shipped source file is read, then none mentions @remnawave/', () => {
    const offenders = SHIPPED.flatMap((dir) => sourceFiles(path.join(ROOT, dir))).filter((file) => readFileSync(file, 'utf8').includes('@remnawave/'));
    expect(offenders.map((file) => path.relative(ROOT, file))).to.deep.equal([]);
  });

  it('when package.json is read, then the contract is a devDependency only', async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    expect(pkg.dependencies?.['@remnawave/backend-contract']).to.equal(undefined);
    expect(pkg.devDependencies?.['@remnawave/backend-contract']).to.match(/^3\.4\./);
  });
});
