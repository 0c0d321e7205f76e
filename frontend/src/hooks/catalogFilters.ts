import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';

export const SORTS = ['relevance', 'price_asc', 'price_desc', 'name', 'newest'] as const;
export type Sort = (typeof SORTS)[number];

/** The catalogue's filters. Prices are integer cents, exactly as the API takes them. */
export interface CatalogFilters {
  q: string;
  category: string;
  min_price: number | null;
  max_price: number | null;
  sort: Sort | '';
  page: number;
}

export const EMPTY_FILTERS: CatalogFilters = { q: '', category: '', min_price: null, max_price: null, sort: '', page: 1 };

function nonNegativeInt(v: string | null): number | null {
  if (v === null || !/^\d{1,12}$/.test(v)) return null;
  return Number(v);
}

export function parseFilters(params: URLSearchParams): CatalogFilters {
  const sort = params.get('sort') ?? '';
  const page = nonNegativeInt(params.get('page'));
  return {
    q: (params.get('q') ?? '').slice(0, 100),
    category: params.get('category') ?? '',
    min_price: nonNegativeInt(params.get('min_price')),
    max_price: nonNegativeInt(params.get('max_price')),
    sort: (SORTS as readonly string[]).includes(sort) ? (sort as Sort) : '',
    page: page && page >= 1 ? page : 1,
  };
}

/** Only non-default values go into the URL, in a stable order. */
export function filtersToParams(f: CatalogFilters): URLSearchParams {
  const p = new URLSearchParams();
  if (f.q.trim()) p.set('q', f.q.trim());
  if (f.category) p.set('category', f.category);
  if (f.min_price !== null) p.set('min_price', String(f.min_price));
  if (f.max_price !== null) p.set('max_price', String(f.max_price));
  if (f.sort) p.set('sort', f.sort);
  if (f.page > 1) p.set('page', String(f.page));
  return p;
}

/** The catalogue filters, read from and written to the URL query string. */
export function useCatalogFilters() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => parseFilters(params), [params]);
  const update = useCallback(
    (change: Partial<CatalogFilters>) => {
      setParams((prev) => {
        const current = parseFilters(prev);
        // Any change other than the page starts again from page 1.
        const next = { ...current, page: 'page' in change ? current.page : 1, ...change };
        return filtersToParams(next);
      });
    },
    [setParams],
  );
  const reset = useCallback(() => setParams(new URLSearchParams()), [setParams]);
  return { filters, update, reset };
}
