// The gateway's calls to a service: over keep-alive connections, with the internal key and
// the caller's identity in headers the gateway sets itself, and a deadline.

import http from 'node:http';
import { pipeline } from 'node:stream/promises';

import { FORWARDED_REQUEST_HEADERS, RELAYED_RESPONSE_HEADERS } from './edges.js';
import { INTERNAL_KEY_HEADER } from './internal-key.js';
import { Problem } from './problem.js';

/** One service, reached at `baseUrl` (origin and path prefix). */
export class Upstream {
  constructor({ name, baseUrl, internalKey, timeoutMs }) {
    this.name = name;
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.internalKey = internalKey;
    this.timeoutMs = timeoutMs;
    this.agent = new http.Agent({ keepAlive: true });
  }

  /** The headers of a call made for client request `req`. */
  headers(req) {
    const headers = { [INTERNAL_KEY_HEADER]: this.internalKey, 'x-request-id': req.requestId };
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = req.get(name);
      if (value !== undefined) headers[name] = value;
    }
    if (req.caller) {
      headers['x-wasmart-user-id'] = req.caller.userId;
      headers['x-wasmart-role'] = req.caller.role;
      if (req.caller.email) headers['x-wasmart-email'] = req.caller.email;
    }
    return headers;
  }

  /** `GET pathAndQuery` for `req`: the answer once its headers are in; a 504 or 503 problem otherwise. */
  get(pathAndQuery, req) {
    const signal = AbortSignal.timeout(this.timeoutMs);
    return new Promise((resolve, reject) => {
      const call = http.get(`${this.baseUrl}${pathAndQuery}`, { agent: this.agent, headers: this.headers(req), signal });
      call.once('response', resolve);
      call.once('error', (error) => {
        if (signal.aborted) reject(Problem.timeout(`The ${this.name} service did not answer in time.`));
        else reject(this.unavailable(error));
      });
    });
  }

  /** The 503 for a failed call, with its cause logged. */
  unavailable(cause) {
    console.error(`${this.name}: ${cause}`);
    return Problem.unavailable(`The ${this.name} service is unavailable; try again shortly.`);
  }

  /** Middleware: relays the request to the service's route of the same path (below `/api/v1`). */
  proxy() {
    return async (req, res) => {
      const answer = await this.get(req.originalUrl.slice(req.baseUrl.length), req);
      if (answer.statusCode >= 500) {
        // A service's 5xx body never reaches the client.
        answer.resume();
        throw this.unavailable(`answered ${answer.statusCode}`);
      }
      res.status(answer.statusCode);
      for (const name of RELAYED_RESPONSE_HEADERS) {
        const value = answer.headers[name];
        if (value !== undefined) res.set(name, name === 'location' && value.startsWith('/') ? `/api/v1${value}` : value);
      }
      await pipeline(answer, res);
    };
  }

  /** The JSON body of a 2xx answer to `GET pathAndQuery`; rejects for anything else. */
  async json(pathAndQuery, req) {
    const answer = await this.get(pathAndQuery, req);
    const chunks = [];
    for await (const chunk of answer) chunks.push(chunk);
    if (answer.statusCode < 200 || answer.statusCode >= 300) throw this.unavailable(`answered ${answer.statusCode}`);
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  }
}
