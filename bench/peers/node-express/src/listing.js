// What a product listing asks for, parsed from the query string with the same rules and
// messages as catalog's `Listing::parse` (components/catalog/src/domain.rs).

import { Problem } from './problem.js';

const SORTS = ['relevance', 'price_asc', 'price_desc', 'name', 'newest'];
const MAX_PAGE = 2 ** 32 - 1;

/** A non-negative integer of at most `max`, or `undefined`; like Rust's `str::parse`. */
function integer(text, max) {
  if (!/^\+?\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value <= max ? value : undefined;
}

/**
 * The listing `query` (a URLSearchParams) asks for; a `Problem` naming every bad parameter.
 * Only the first non-empty value of a parameter counts, as in service-kit's `Query`.
 */
export function parseListing(query) {
  const get = (name) => query.getAll(name).find((value) => value !== '');
  const errors = [];
  const parse = (name, expected, check) => {
    const text = get(name);
    if (text === undefined) return undefined;
    const value = check(text);
    if (value === undefined) errors.push({ field: name, message: `must be ${expected}` });
    return value;
  };
  const price = (t) => integer(t, Number.MAX_SAFE_INTEGER);
  const text = get('q')?.trim() || undefined;
  const minPrice = parse('min_price', 'a non-negative integer (cents)', price);
  const maxPrice = parse('max_price', 'a non-negative integer (cents)', price);
  const sort = parse('sort', `one of ${SORTS.join(', ')}`, (t) => (SORTS.includes(t) ? t : undefined));
  const page = parse('page', 'an integer of at least 1', (t) => {
    const value = integer(t, MAX_PAGE);
    return value >= 1 ? value : undefined;
  });
  const pageSize = parse('page_size', 'an integer from 1 to 100', (t) => {
    const value = integer(t, 100);
    return value >= 1 ? value : undefined;
  });
  if (minPrice !== undefined && maxPrice !== undefined && minPrice > maxPrice) {
    errors.push({ field: 'min_price', message: 'must not exceed max_price' });
  }
  if (text !== undefined && [...text].length > 100) {
    errors.push({ field: 'q', message: 'must be at most 100 characters' });
  }
  if (errors.length > 0) throw Problem.validation(errors);
  return {
    text,
    category: get('category'),
    minPrice,
    maxPrice,
    sort: sort ?? (text !== undefined ? 'relevance' : 'name'),
    page: page ?? 1,
    pageSize: pageSize ?? 20,
  };
}
