// Fails if src/api/schema.d.ts is not what openapi-typescript generates from ../docs/openapi.yaml.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wasmart-api-'));
const out = join(dir, 'schema.d.ts');
try {
  execFileSync(process.execPath, [join(root, 'node_modules/openapi-typescript/bin/cli.js'), join(root, '../docs/openapi.yaml'), '-o', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  const fresh = readFileSync(out, 'utf8');
  const committed = readFileSync(join(root, 'src/api/schema.d.ts'), 'utf8');
  if (fresh !== committed) {
    console.error('src/api/schema.d.ts is out of date with ../docs/openapi.yaml: run `npm run generate:api`.');
    process.exit(1);
  }
  console.log('src/api/schema.d.ts matches ../docs/openapi.yaml');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
