// Fails when the production bundle's main JavaScript (the entry index.html loads) is over
// its budget gzipped; prints the size either way.
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const BUDGET_BYTES = 250 * 1024;
const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const html = await readFile(dist + 'index.html', 'utf8');
const entries = [...html.matchAll(/<script[^>]+src="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
if (entries.length === 0) {
  console.error('check:size: index.html loads no script from /assets/; build first');
  process.exit(1);
}
let failed = false;
for (const entry of entries) {
  const bytes = gzipSync(await readFile(dist + entry), { level: 9 }).length;
  const kb = (bytes / 1024).toFixed(1);
  const verdict = bytes <= BUDGET_BYTES ? 'within' : 'OVER';
  console.log(`main JS ${entry}: ${kb} kB gzipped (${verdict} the ${BUDGET_BYTES / 1024} kB budget)`);
  failed ||= bytes > BUDGET_BYTES;
}
process.exit(failed ? 1 : 0);
