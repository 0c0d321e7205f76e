// The peer's public API gateway, the Express way: request ids and security headers, JWT
// verification when a token is sent, an in-memory rate limit per user or address, and a
// keep-alive proxy to the catalog process with a deadline; every error is problem+json.
// It answers the routes bench/peers/run measures, as wasmart's gateway does:
// GET /api/v1/categories, /api/v1/products, /api/v1/products/:id, /api/v1/storefront.
//
// Environment: PORT (default 3100), CATALOG_URL (default http://127.0.0.1:3101),
// INTERNAL_API_KEY, JWT_SIGNING_KEY (32 bytes or more), RATE_LIMIT_PER_MINUTE (default 600),
// UPSTREAM_TIMEOUT_MS (default 2500).

import express from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';

import { authenticate, requireValidToken } from './auth.js';
import { stampAnswers } from './edges.js';
import { answerTheRest, Problem } from './problem.js';
import { requiredEnv, serve } from './server.js';
import { Upstream } from './upstream.js';

/** How many products the home page features. */
const FEATURED_COUNT = 8;

/** Routes of this API and their methods, for 405s. */
const ROUTES = ['/categories', '/products', '/products/:id', '/storefront'];

/** `requests` a minute per signed-in user, else per client address; a 429 problem beyond. */
function limitRate(perMinute) {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => (req.caller ? `user:${req.caller.userId}` : `ip:${ipKeyGenerator(req.ip)}`),
    handler: (req, res, next) =>
      next(Problem.rateLimited(Math.max(1, Math.ceil((req.rateLimit.resetTime - Date.now()) / 1000)))),
  });
}

/** `GET /storefront`: featured products and categories, asked at once; a failing part is `null`. */
function storefront(catalog) {
  return async (req, res) => {
    const [featured, categories] = await Promise.allSettled([
      catalog.json(`/products?sort=newest&page_size=${FEATURED_COUNT}`, req),
      catalog.json('/categories', req),
    ]);
    const unavailable = [];
    const part = (name, outcome) => {
      if (outcome.status === 'fulfilled') return outcome.value;
      unavailable.push(name);
      return null;
    };
    const body = {
      featured: part('featured', featured),
      categories: part('categories', categories),
      cart: null,
      unread_notifications: null,
      signed_in: req.caller !== undefined,
      unavailable,
    };
    // The peer has no cart or notifications services: a signed-in caller's parts are missing.
    if (req.caller) unavailable.push('cart', 'notifications');
    res.json(body);
  };
}

function gatewayApp({ catalog, signingKey, perMinute }) {
  const api = express.Router();
  api.use(authenticate(signingKey), limitRate(perMinute), requireValidToken);
  api.get('/categories', catalog.proxy());
  api.get('/products', catalog.proxy());
  api.get('/products/:id', catalog.proxy());
  api.get('/storefront', storefront(catalog));
  for (const route of ROUTES) {
    api.all(route, (req) => {
      throw Problem.methodNotAllowed(`${req.method} is not allowed here; use GET.`);
    });
  }
  const app = express();
  app.disable('x-powered-by');
  app.use(stampAnswers);
  app.use('/api/v1', api);
  answerTheRest(app);
  return app;
}

serve(
  gatewayApp({
    catalog: new Upstream({
      name: 'catalog',
      baseUrl: process.env.CATALOG_URL ?? 'http://127.0.0.1:3101',
      internalKey: requiredEnv('INTERNAL_API_KEY'),
      timeoutMs: Number(process.env.UPSTREAM_TIMEOUT_MS ?? 2500),
    }),
    signingKey: requiredEnv('JWT_SIGNING_KEY'),
    perMinute: Number(process.env.RATE_LIMIT_PER_MINUTE ?? 600),
  }),
  'gateway',
  3100,
);
