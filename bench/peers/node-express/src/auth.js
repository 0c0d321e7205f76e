// Who is calling: the bearer token, verified as wasmart's gateway does (HS256 only, issuer
// `wasmart`, expiry), with jsonwebtoken.

import jwt from 'jsonwebtoken';

import { Problem } from './problem.js';

const ROLES = ['customer', 'admin'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Middleware: `req.caller` is the verified caller (or `undefined` without a token);
 * `req.authProblem` is the 401 for a token that is present but not valid. It is raised by
 * `requireValidToken`, after the rate limit has counted the request.
 */
export function authenticate(signingKey) {
  if (Buffer.byteLength(signingKey) < 32) throw new Error('JWT_SIGNING_KEY must be at least 32 bytes');
  return (req, res, next) => {
    const header = req.get('authorization');
    if (header === undefined) return next();
    const [scheme, token] = header.split(/ (.*)/s);
    if (scheme.toLowerCase() !== 'bearer' || token === undefined) {
      req.authProblem = Problem.unauthorized('Use Authorization: Bearer <access token>.');
      return next();
    }
    try {
      const claims = jwt.verify(token.trim(), signingKey, { algorithms: ['HS256'], issuer: 'wasmart' });
      if (!UUID.test(claims.sub ?? '') || !ROLES.includes(claims.role)) throw new Error('bad claims');
      req.caller = { userId: claims.sub.toLowerCase(), role: claims.role, email: claims.email };
    } catch (error) {
      req.authProblem = Problem.unauthorized(
        error instanceof jwt.TokenExpiredError
          ? 'The access token has expired; sign in again.'
          : 'The access token is invalid.',
      );
    }
    next();
  };
}

/** Middleware: the 401 of a token `authenticate` refused. */
export function requireValidToken(req, res, next) {
  next(req.authProblem);
}
