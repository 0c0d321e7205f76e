// The peer answers what wasmart answers: for every request bench/peers/run measures (and a
// few more listings and errors), the same status, media type and JSON, compared against a
// running wasmart. The peer's catalog reads a copy of that wasmart's catalog database, so
// ids, names and timestamps must be equal too, not only the shape.
//
//   WASMART_URL=http://127.0.0.1:A PEER_URL=http://127.0.0.1:B node --test test/
//
// bench/peers/run runs it before measuring and stops if it fails. WASMART_HELLO_URL and
// PEER_HELLO_URL add the hello servers.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';

const { WASMART_URL, PEER_URL, WASMART_HELLO_URL, PEER_HELLO_URL } = process.env;
const skip = !WASMART_URL || !PEER_URL ? 'set WASMART_URL and PEER_URL (bench/peers/run does)' : false;

/** The JSON type skeleton of `value`: object keys with their types, arrays by their elements. */
function shape(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return [...new Set(value.map((item) => JSON.stringify(shape(item))))].map(JSON.parse);
  if (typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((key) => [key, shape(value[key])]));
  return typeof value;
}

/** Status, media type and body of `GET base + path`; the request id (per request) is dropped. */
async function answer(base, path, headers = {}) {
  const response = await fetch(base + path, { headers });
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0].trim();
  const text = await response.text();
  const body = mediaType.endsWith('json') ? JSON.parse(text) : text;
  if (body && typeof body === 'object') delete body.request_id;
  return { status: response.status, mediaType, body };
}

/** Asserts both servers answer `path` alike; returns wasmart's body. */
async function same(path, headers) {
  const [wasmart, peer] = await Promise.all([answer(WASMART_URL, path, headers), answer(PEER_URL, path, headers)]);
  assert.equal(peer.status, wasmart.status, `${path}: status`);
  assert.equal(peer.mediaType, wasmart.mediaType, `${path}: media type`);
  assert.deepEqual(shape(peer.body), shape(wasmart.body), `${path}: JSON shape (keys and types)`);
  assert.deepEqual(peer.body, wasmart.body, `${path}: JSON values`);
  return wasmart.body;
}

test('the benchmarked listing: 20 products, the same ones in the same order', { skip }, async () => {
  const page = await same('/api/v1/products?page_size=20');
  assert.equal(page.items.length, 20);
  assert.equal(page.total, 66, 'the 66 seeded products');
});

test('one product by id', { skip }, async () => {
  const page = await same('/api/v1/products?page_size=1');
  const product = await same(`/api/v1/products/${page.items[0].id}`);
  assert.equal(product.id, page.items[0].id);
});

test('the storefront: newest products and every category', { skip }, async () => {
  const storefront = await same('/api/v1/storefront');
  assert.equal(storefront.featured.items.length, 8);
  assert.equal(storefront.categories.length, 6);
  assert.deepEqual(storefront.unavailable, []);
});

test('search, filters, sorts and pages', { skip }, async () => {
  await same('/api/v1/categories');
  const wool = await same('/api/v1/products?q=wool');
  assert.ok(wool.total > 0, 'some product mentions wool');
  for (const sort of ['relevance', 'price_asc', 'price_desc', 'name', 'newest']) {
    await same(`/api/v1/products?q=e&sort=${sort}&page=2&page_size=7`);
  }
  await same('/api/v1/products?category=books&min_price=1000&max_price=3000&page_size=5');
  await same('/api/v1/products?q=100%25_%5C&page_size=3');
});

test('bad input and unknown products are the same problems', { skip }, async () => {
  const invalid = await same('/api/v1/products?page_size=0&min_price=9&max_price=1&sort=best');
  assert.equal(invalid.errors.length, 3);
  await same(`/api/v1/products/${randomUUID()}`);
  await same('/api/v1/products/not-an-id');
  await same('/api/v1/products', { authorization: 'Bearer not.a.token' });
  await same('/api/v1/products', { authorization: 'Basic dXNlcjpwYXNz' });
});

test('hello', { skip: !WASMART_HELLO_URL || !PEER_HELLO_URL ? 'set WASMART_HELLO_URL and PEER_HELLO_URL' : false }, async () => {
  const [wasmart, peer] = await Promise.all([answer(WASMART_HELLO_URL, '/'), answer(PEER_HELLO_URL, '/')]);
  assert.deepEqual(peer, wasmart);
  assert.equal(wasmart.body, 'hello, wasmart\n');
});
