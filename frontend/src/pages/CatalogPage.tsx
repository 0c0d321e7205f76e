import { useEffect, useState, type FormEvent } from 'react';
import { useCatalogFilters, filtersToParams, SORTS, type Sort } from '../hooks/catalogFilters';
import { useCategories, useProducts } from '../hooks/api';
import { splitProblem, toProblem } from '../api/problem';
import { parseMajorUnits, toMajorUnits } from '../lib/money';
import { ProductCard } from '../components/ProductCard';
import { CardGridSkeleton, EmptyState, ErrorBanner, Pagination, SelectField, TextField } from '../components/ui';

const PAGE_SIZE = 12;
const SORT_LABEL: Record<Sort, string> = {
  relevance: 'Relevance',
  price_asc: 'Price: low to high',
  price_desc: 'Price: high to low',
  name: 'Name',
  newest: 'Newest',
};

export function CatalogPage() {
  const { filters, update, reset } = useCatalogFilters();
  const categories = useCategories();
  const products = useProducts(filters, PAGE_SIZE);

  // Text inputs are drafts until the form is submitted; they follow the URL (back/forward).
  const [q, setQ] = useState(filters.q);
  const [min, setMin] = useState(filters.min_price !== null ? toMajorUnits(filters.min_price) : '');
  const [max, setMax] = useState(filters.max_price !== null ? toMajorUnits(filters.max_price) : '');
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  useEffect(() => {
    setQ(filters.q);
    setMin(filters.min_price !== null ? toMajorUnits(filters.min_price) : '');
    setMax(filters.max_price !== null ? toMajorUnits(filters.max_price) : '');
  }, [filters.q, filters.min_price, filters.max_price]);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const errors: Record<string, string> = {};
    const minC = min.trim() ? parseMajorUnits(min) : null;
    const maxC = max.trim() ? parseMajorUnits(max) : null;
    if (min.trim() && minC === null) errors.min_price = 'Enter an amount like 10 or 9.99';
    if (max.trim() && maxC === null) errors.max_price = 'Enter an amount like 10 or 9.99';
    if (minC !== null && maxC !== null && minC > maxC) errors.min_price = 'Must not be more than the maximum';
    setLocalErrors(errors);
    if (Object.keys(errors).length) return;
    update({ q, min_price: minC, max_price: maxC });
  };

  const problem = products.isError ? toProblem(products.error) : null;
  const { fields, banner } = splitProblem(problem, ['q', 'category', 'min_price', 'max_price', 'sort', 'page']);
  const fieldError = (name: string) => localErrors[name] ?? fields[name];
  const data = products.data;

  return (
    <main id="main" className="page" data-testid="page-catalog">
      <h1>Products</h1>
      <form className="filters" role="search" aria-label="Filter products" onSubmit={onSubmit}>
        <TextField label="Search" name="q" type="search" value={q} maxLength={100} onChange={(e) => setQ(e.target.value)} error={fieldError('q')} />
        <SelectField label="Category" name="category" value={filters.category} onChange={(e) => update({ category: e.target.value })} error={fieldError('category')}>
          <option value="">All categories</option>
          {categories.data?.map((c) => (
            <option key={c.slug} value={c.slug}>
              {c.name} ({c.product_count})
            </option>
          ))}
        </SelectField>
        <TextField label="Min price ($)" name="min_price" inputMode="decimal" value={min} onChange={(e) => setMin(e.target.value)} error={fieldError('min_price')} />
        <TextField label="Max price ($)" name="max_price" inputMode="decimal" value={max} onChange={(e) => setMax(e.target.value)} error={fieldError('max_price')} />
        <SelectField label="Sort by" name="sort" value={filters.sort} onChange={(e) => update({ sort: e.target.value as Sort | '' })} error={fieldError('sort')}>
          <option value="">Default</option>
          {SORTS.map((s) => (
            <option key={s} value={s}>
              {SORT_LABEL[s]}
            </option>
          ))}
        </SelectField>
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">
            Apply
          </button>
          <button type="button" className="btn" onClick={reset}>
            Clear
          </button>
        </div>
      </form>

      {banner ? <ErrorBanner message={banner} problem={problem} onRetry={() => void products.refetch()} /> : null}

      {products.isPending ? (
        <CardGridSkeleton count={PAGE_SIZE} />
      ) : data && data.items.length === 0 ? (
        <EmptyState title="No products match">
          <p>Try another search or clear the filters.</p>
        </EmptyState>
      ) : data ? (
        <>
          <p className="muted" aria-live="polite" data-testid="result-count">
            {data.total} {data.total === 1 ? 'product' : 'products'}
          </p>
          <ul className="product-grid" data-testid="product-list" aria-busy={products.isFetching}>
            {data.items.map((p) => (
              <ProductCard key={p.id} product={p} />
            ))}
          </ul>
          <Pagination
            page={data.page}
            pageSize={data.page_size}
            total={data.total}
            hrefFor={(page) => `/products?${filtersToParams({ ...filters, page }).toString()}`}
          />
        </>
      ) : null}
    </main>
  );
}
