import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';
import { ApiError, networkProblem, toProblem } from './problem';

/** All requests are same-origin and start with /api/v1 (the paths carry the prefix). */
export const API_PREFIX = '/api/v1/';

const TOKEN_KEY = 'wasmart.token';
type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

export const tokenStore = {
  get(): string | null {
    try {
      return localStorage.getItem(TOKEN_KEY);
    } catch {
      return null;
    }
  },
  set(token: string | null) {
    try {
      if (token) localStorage.setItem(TOKEN_KEY, token);
      else localStorage.removeItem(TOKEN_KEY);
    } catch {
      /* storage unavailable: the session lasts as long as the page */
    }
  },
};

/** Called whenever the API answers 401 to a request that carried a token. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

const auth: Middleware = {
  onRequest({ request }) {
    const url = new URL(request.url, globalThis.location?.origin);
    if (!url.pathname.startsWith(API_PREFIX)) {
      throw new Error(`Refusing a request outside ${API_PREFIX}: ${url.pathname}`);
    }
    const token = tokenStore.get();
    if (token && !request.headers.has('Authorization')) {
      request.headers.set('Authorization', `Bearer ${token}`);
    }
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && request.headers.has('Authorization')) {
      tokenStore.set(null);
      unauthorizedListeners.forEach((l) => l());
    }
    return response;
  },
};

/** The typed API client. Base URL "" so every path is same-origin. */
export const api = createClient<paths>({
  baseUrl: '',
  // Looked up at call time, so that a fetch installed later (MSW in tests) is the one used.
  fetch: (request: Request) => globalThis.fetch(request),
});
api.use(auth);

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Returns the data of an openapi-fetch call, or throws an ApiError with its problem. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (e) {
    throw new ApiError(networkProblem(e instanceof Error && e.message.startsWith('Refusing') ? e.message : undefined));
  }
  const { data, error, response } = result;
  if (!response.ok || error !== undefined) {
    throw new ApiError(toProblem(error, response.status));
  }
  return data as T;
}
