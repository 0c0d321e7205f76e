import { ApiError, isRetryable, networkProblem, problemSlug, splitProblem, toProblem } from './problem';
import type { Problem } from './types';

const validation: Problem = {
  type: 'https://wasmart.dev/problems/validation',
  title: 'Invalid input',
  status: 400,
  detail: 'Some fields are invalid.',
  errors: [
    { field: 'shipping_address.city', message: 'must be 1 to 100 characters' },
    { field: 'shipping_address.country', message: 'must be ISO 3166-1 alpha-2' },
    { field: 'Idempotency-Key', message: 'too long' },
  ],
};

describe('splitProblem', () => {
  it('puts each known field error next to its field and the rest in the banner', () => {
    const r = splitProblem(validation, ['shipping_address.city', 'shipping_address.country', 'shipping_address.name']);
    expect(r.fields).toEqual({
      'shipping_address.city': 'must be 1 to 100 characters',
      'shipping_address.country': 'must be ISO 3166-1 alpha-2',
    });
    expect(r.unplaced).toEqual([{ field: 'Idempotency-Key', message: 'too long' }]);
    expect(r.banner).toContain('Idempotency-Key too long');
  });

  it('shows no banner when every error is placed', () => {
    const r = splitProblem({ ...validation, errors: validation.errors!.slice(0, 1) }, ['shipping_address.city']);
    expect(r.banner).toBeNull();
    expect(r.fields['shipping_address.city']).toBe('must be 1 to 100 characters');
  });

  it('joins several messages for one field', () => {
    const r = splitProblem({ ...validation, errors: [{ field: 'email', message: 'a' }, { field: 'email', message: 'b' }] }, ['email']);
    expect(r.fields.email).toBe('a; b');
  });

  it('uses the detail as a banner when there are no field errors', () => {
    const r = splitProblem({ type: 'https://wasmart.dev/problems/cart-empty', title: 'Conflict', status: 409, detail: 'The cart is empty.' }, ['x']);
    expect(r).toEqual({ fields: {}, banner: 'The cart is empty.', unplaced: [] });
  });

  it('is empty for no problem', () => {
    expect(splitProblem(null, [])).toEqual({ fields: {}, banner: null, unplaced: [] });
  });
});

describe('toProblem / isRetryable', () => {
  it('keeps problem bodies and makes one up for other failures', () => {
    expect(toProblem(validation)).toMatchObject({ status: 400, errors: validation.errors });
    expect(toProblem(new ApiError(validation))).toBe(validation);
    expect(toProblem(undefined, 502)).toMatchObject({ status: 502 });
    expect(toProblem(new TypeError('fetch failed')).status).toBe(0);
  });

  it('retries network errors and 5xx, never 4xx', () => {
    expect(isRetryable(new ApiError(networkProblem()))).toBe(true);
    expect(isRetryable(new ApiError({ ...validation, status: 503 }))).toBe(true);
    expect(isRetryable(new ApiError({ ...validation, status: 500 }))).toBe(true);
    expect(isRetryable(new ApiError(validation))).toBe(false);
    expect(isRetryable(new ApiError({ ...validation, status: 404 }))).toBe(false);
    expect(isRetryable(new ApiError({ ...validation, status: 429 }))).toBe(false);
  });

  it('reads the slug of the type', () => {
    expect(problemSlug(validation)).toBe('validation');
  });
});
