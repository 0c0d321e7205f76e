// Writes .gz and .br copies of every compressible file in dist/ (node:zlib only).
import { readdir, readFile, writeFile, stat } from 'node:fs/promises';
import { join, extname, relative } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const EXTS = new Set(['.js', '.css', '.html', '.svg', '.json']);

async function* walk(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(p);
    else yield p;
  }
}

let count = 0;
for await (const file of walk(dist)) {
  if (!EXTS.has(extname(file))) continue;
  const data = await readFile(file);
  const gz = gzipSync(data, { level: 9 });
  const br = brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  await writeFile(file + '.gz', gz);
  await writeFile(file + '.br', br);
  count++;
  const size = (await stat(file)).size;
  console.log(`${relative(dist, file).padEnd(48)} ${String(size).padStart(8)} B  gz ${String(gz.length).padStart(7)} B  br ${String(br.length).padStart(7)} B`);
}
console.log(`compressed ${count} files`);
