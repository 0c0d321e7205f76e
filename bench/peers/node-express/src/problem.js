// RFC 9457 problems, the one place both processes build their error answers: the same
// `type` URIs, titles and fields as wasmart's service-kit `Problem`.

const TYPE_BASE = 'https://wasmart.dev/problems/';

/** An error that is answered as `application/problem+json`. */
export class Problem extends Error {
  constructor(status, slug, title, detail, { errors = [], retryAfterSecs } = {}) {
    super(detail);
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.errors = errors;
    this.retryAfterSecs = retryAfterSecs;
  }

  static validation(errors) {
    const detail =
      errors.length === 1 ? `${errors[0].field}: ${errors[0].message}` : `${errors.length} fields are invalid`;
    return new Problem(400, 'validation', 'Invalid input', detail, { errors });
  }

  static unauthorized(detail) {
    return new Problem(401, 'unauthorized', 'Unauthorized', detail);
  }

  static notFound(detail) {
    return new Problem(404, 'not-found', 'Not found', detail);
  }

  static methodNotAllowed(detail) {
    return new Problem(405, 'method-not-allowed', 'Method not allowed', detail);
  }

  static rateLimited(retryAfterSecs) {
    return new Problem(429, 'rate-limited', 'Too many requests', `Slow down; try again in ${retryAfterSecs} s.`, {
      retryAfterSecs,
    });
  }

  static unavailable(detail) {
    return new Problem(503, 'unavailable', 'Service unavailable', detail);
  }

  static timeout(detail) {
    return new Problem(504, 'upstream-timeout', 'Gateway timeout', detail);
  }

  static internal() {
    return new Problem(500, 'internal', 'Internal error', 'The request could not be completed.');
  }

  /** The JSON body; `requestId` is added when the answer carries one. */
  body(requestId) {
    const body = { type: TYPE_BASE + this.slug, title: this.title, status: this.status, detail: this.message };
    if (this.errors.length > 0) body.errors = this.errors;
    if (requestId) body.request_id = requestId;
    return body;
  }
}

/** Ends `app`: a 404 problem where no route answered, and every error as a problem. */
export function answerTheRest(app) {
  app.use((req) => {
    throw Problem.notFound(`No resource at ${req.path}.`);
  });
  app.use(answerProblems);
}

/** Express error middleware: a `Problem` as problem+json; anything else is logged and a 500. */
function answerProblems(error, req, res, next) {
  // Too late for a problem (a relayed body failed half-way): Express closes the connection.
  if (res.headersSent) return next(error);
  let problem = error;
  if (!(error instanceof Problem)) {
    // Express's own errors (e.g. a malformed URI) carry a 4xx status; keep it, never a 500.
    const status = error.status ?? error.statusCode;
    problem =
      Number.isInteger(status) && status >= 400 && status < 500
        ? new Problem(status, 'bad-request', 'Bad request', 'The request could not be read.')
        : Problem.internal();
    if (problem.status >= 500) console.error(`internal error: ${error.stack ?? error}`);
  }
  if (problem.retryAfterSecs !== undefined) res.set('retry-after', String(problem.retryAfterSecs));
  if (problem.status === 401) res.set('www-authenticate', 'Bearer');
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem.body(req.requestId)));
}
