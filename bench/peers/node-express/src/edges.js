// What every answer of the peer's public API gets, as wasmart's gateway-component/src/edges.rs:
// the request id, security headers, and `no-store` unless the service chose its caching;
// and which headers pass between client and service.

import { randomUUID } from 'node:crypto';

const REQUEST_ID = /^[A-Za-z0-9\-_.:]{1,128}$/;

/** Middleware: keeps a well-formed `x-request-id` or makes one, and stamps the answer. */
export function stampAnswers(req, res, next) {
  const id = req.get('x-request-id');
  req.requestId = id !== undefined && REQUEST_ID.test(id) ? id : randomUUID();
  res.set({
    'x-request-id': req.requestId,
    vary: 'origin',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'strict-transport-security': 'max-age=31536000',
    // A relayed answer replaces it with the service's own `cache-control`, if it has one.
    'cache-control': 'no-store',
  });
  next();
}

/** Client request headers a service may see; everything else stays at the gateway. */
export const FORWARDED_REQUEST_HEADERS = ['content-type', 'accept', 'idempotency-key', 'if-none-match'];

/** Service response headers a client may see. */
export const RELAYED_RESPONSE_HEADERS = ['content-type', 'etag', 'cache-control', 'location', 'retry-after', 'last-modified'];
