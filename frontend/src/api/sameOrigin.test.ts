// Guards the rule that the app only ever talks to same-origin /api/v1/... through the typed client.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { api } from './client';
import { ApiError } from './problem';
import { unwrap } from './client';

// Vitest runs from the frontend folder.
const SRC = join(process.cwd(), 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.(ts|tsx|js|jsx|mjs)$/.test(name) && !name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Files that are not shipped to the browser as app code: tests and the test-only mocks. */
function isTestOnly(rel: string): boolean {
  return /\.test\.(ts|tsx)$/.test(rel) || rel.startsWith(`test${sep}`) || rel.startsWith(`mocks${sep}`);
}

const files = sourceFiles(SRC).map((f) => ({ rel: relative(SRC, f), text: readFileSync(f, 'utf8') }));
const appFiles = files.filter((f) => !isTestOnly(f.rel));

describe('same-origin /api/v1 only', () => {
  it('finds the source files', () => {
    expect(appFiles.map((f) => f.rel)).toContain(join('api', 'client.ts'));
    expect(appFiles.length).toBeGreaterThan(10);
  });

  it('has no absolute http(s) or protocol-relative URLs in app code', () => {
    const offenders = appFiles.flatMap((f) =>
      [...f.text.matchAll(/(['"`])(https?:)?\/\/[A-Za-z0-9[][^'"`\s]*/g)]
        // SVG namespace strings are not requests.
        .filter((m) => !m[0].includes('www.w3.org/'))
        .map((m) => `${f.rel}: ${m[0]}`),
    );
    expect(offenders).toEqual([]);
  });

  it('calls fetch/XMLHttpRequest/WebSocket/EventSource/sendBeacon only inside the API client', () => {
    const network = /\b(fetch|XMLHttpRequest|WebSocket|EventSource|sendBeacon)\s*\(/;
    const offenders = appFiles.filter((f) => f.rel !== join('api', 'client.ts') && network.test(f.text)).map((f) => f.rel);
    expect(offenders).toEqual([]);
  });

  it('imports openapi-fetch only in the API client', () => {
    const offenders = appFiles.filter((f) => f.rel !== join('api', 'client.ts') && /from ['"]openapi-fetch['"]/.test(f.text)).map((f) => f.rel);
    expect(offenders).toEqual([]);
  });

  it('calls the client only with /api/v1/ paths', () => {
    const offenders = appFiles.flatMap((f) =>
      [...f.text.matchAll(/\bapi\.(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\(\s*(['"`])([^'"`]*)\2/g)]
        .filter((m) => !m[3]!.startsWith('/api/v1/'))
        .map((m) => `${f.rel}: ${m[0]}`),
    );
    expect(offenders).toEqual([]);
    // And every call passes a literal path (so the check above sees it).
    const dynamic = appFiles.flatMap((f) => [...f.text.matchAll(/\bapi\.(GET|POST|PUT|PATCH|DELETE)\(\s*[^'"`\s]/g)].map((m) => `${f.rel}: ${m[0]}`));
    expect(dynamic).toEqual([]);
  });

  it('the client refuses a path outside /api/v1 at run time', async () => {
    // @ts-expect-error: not a path of the API
    const call = api.GET('/elsewhere');
    await expect(unwrap(call)).rejects.toBeInstanceOf(ApiError);
  });

  it('the client sends same-origin relative requests', async () => {
    const seen: string[] = [];
    const orig = globalThis.fetch;
    globalThis.fetch = ((req: Request) => {
      seen.push(req.url);
      return Promise.resolve(new Response('[]', { headers: { 'Content-Type': 'application/json' } }));
    }) as typeof fetch;
    try {
      await unwrap(api.GET('/api/v1/categories'));
    } finally {
      globalThis.fetch = orig;
    }
    expect(seen).toEqual([`${window.location.origin}/api/v1/categories`]);
  });
});
