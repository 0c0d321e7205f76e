// The peer's catalog service: products and categories from SQLite, on private routes that
// answer only callers presenting the internal key (as components/catalog does).
//
// Environment: PORT (default 3101), CATALOG_DB (a copy of a wasmart catalog database),
// INTERNAL_API_KEY.

import express from 'express';

import { INTERNAL_KEY_HEADER, keysMatch } from './internal-key.js';
import { parseListing } from './listing.js';
import { answerTheRest, Problem } from './problem.js';
import { Products } from './products.js';
import { requiredEnv, serve } from './server.js';

const UUID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/i;

/** `text` as a lower-case hyphenated UUID, if it is one. */
function productId(text) {
  if (!UUID.test(text)) return undefined;
  const hex = text.replace(/-/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function catalogApp({ products, internalKey }) {
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    req.requestId = req.get('x-request-id');
    if (req.requestId) res.set('x-request-id', req.requestId);
    if (!keysMatch(req.get(INTERNAL_KEY_HEADER), internalKey)) {
      throw Problem.unauthorized('This is an internal route: callers must present the service key.');
    }
    next();
  });
  app.get('/health', (req, res) => res.json({ status: 'up' }));
  app.get('/categories', (req, res) => res.json(products.categories()));
  app.get('/products', (req, res) => {
    const query = new URL(req.originalUrl, 'http://catalog').searchParams;
    res.json(products.list(parseListing(query)));
  });
  app.get('/products/:id', (req, res) => {
    const id = productId(req.params.id);
    const product = id && products.find(id);
    if (!product) throw Problem.notFound(`No product ${id ?? req.params.id}.`);
    res.json(product);
  });
  answerTheRest(app);
  return app;
}

serve(
  catalogApp({
    products: new Products(requiredEnv('CATALOG_DB')),
    internalKey: requiredEnv('INTERNAL_API_KEY'),
  }),
  'catalog',
  3101,
);
