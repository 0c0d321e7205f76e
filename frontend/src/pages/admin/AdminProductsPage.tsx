import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useCategories, useDeleteProduct, useProducts, useSaveProduct } from '../../hooks/api';
import { EMPTY_FILTERS } from '../../hooks/catalogFilters';
import { splitProblem, toProblem } from '../../api/problem';
import type { Product, ProductDraft } from '../../api/types';
import { parseMajorUnits, toMajorUnits } from '../../lib/money';
import { EmptyState, ErrorBanner, InfoBanner, Money, Pagination, SelectField, Skeleton, TextField } from '../../components/ui';

interface Draft {
  sku: string;
  name: string;
  description: string;
  category: string;
  price: string;
  stock: string;
}
const EMPTY: Draft = { sku: '', name: '', description: '', category: '', price: '', stock: '0' };
const FIELDS = ['sku', 'name', 'description', 'category', 'price', 'price.amount', 'stock'];

function toDraft(p: Product): Draft {
  return { sku: p.sku, name: p.name, description: p.description, category: p.category, price: toMajorUnits(p.price.amount), stock: String(p.stock) };
}

function ProductForm({ editing, onDone }: { editing: Product | null; onDone: (message: string) => void }) {
  const categories = useCategories();
  const save = useSaveProduct();
  const [draft, setDraft] = useState<Draft>(editing ? toDraft(editing) : EMPTY);
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const set = (k: keyof Draft, v: string) => setDraft((d) => ({ ...d, [k]: v }));

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const errors: Record<string, string> = {};
    const amount = parseMajorUnits(draft.price);
    if (amount === null) errors.price = 'Enter a price like 19.99';
    const stock = Number(draft.stock);
    if (!/^\d+$/.test(draft.stock.trim()) || stock > 1_000_000) errors.stock = 'A whole number from 0 to 1000000';
    setLocalErrors(errors);
    if (Object.keys(errors).length || amount === null) return;
    const body: ProductDraft = {
      sku: draft.sku.trim().toUpperCase(),
      name: draft.name.trim(),
      description: draft.description.trim(),
      // One of the slugs GET /categories offered in the select.
      category: draft.category as ProductDraft['category'],
      price: { amount, currency: 'USD' },
      stock,
    };
    save.mutate({ id: editing?.id, draft: body }, { onSuccess: (p) => onDone(`${editing ? 'Saved' : 'Created'} ${p.name}.`) });
  };
  const problem = save.error ? toProblem(save.error) : null;
  const { fields, banner } = splitProblem(problem, FIELDS);
  const err = (k: string) => localErrors[k] ?? fields[k] ?? (k === 'price' ? fields['price.amount'] : undefined);

  return (
    <form onSubmit={onSubmit} noValidate className="card stack" aria-label={editing ? `Edit ${editing.name}` : 'New product'} data-testid="product-form">
      <h2>{editing ? `Edit ${editing.name}` : 'New product'}</h2>
      {banner ? <ErrorBanner message={banner} problem={problem} /> : null}
      <div className="grid-2">
        <TextField label="SKU" name="sku" value={draft.sku} onChange={(e) => set('sku', e.target.value)} error={err('sku')} hint="3–32 of A–Z, 0–9 and -" required />
        <TextField label="Name" name="name" value={draft.name} onChange={(e) => set('name', e.target.value)} error={err('name')} maxLength={120} required />
        <SelectField label="Category" name="category" value={draft.category} onChange={(e) => set('category', e.target.value)} error={err('category')} required>
          <option value="">Choose…</option>
          {categories.data?.map((c) => (
            <option key={c.slug} value={c.slug}>
              {c.name}
            </option>
          ))}
        </SelectField>
        <TextField label="Price (USD)" name="price" inputMode="decimal" value={draft.price} onChange={(e) => set('price', e.target.value)} error={err('price')} required />
        <TextField label="Stock" name="stock" inputMode="numeric" value={draft.stock} onChange={(e) => set('stock', e.target.value)} error={err('stock')} required />
      </div>
      <div className={`field${err('description') ? ' field-invalid' : ''}`}>
        <label htmlFor="product-description">Description</label>
        <textarea id="product-description" name="description" rows={4} maxLength={2000} value={draft.description} onChange={(e) => set('description', e.target.value)} aria-invalid={err('description') ? true : undefined} />
        {err('description') ? <small className="field-error">{err('description')}</small> : null}
      </div>
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : editing ? 'Save changes' : 'Create product'}
        </button>
        <button type="button" className="btn" onClick={() => onDone('')}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export default function AdminProductsPage() {
  const [page, setPage] = useState(1);
  const products = useProducts({ ...EMPTY_FILTERS, sort: 'newest', page }, 20);
  const del = useDeleteProduct();
  const [editing, setEditing] = useState<Product | 'new' | null>(null);
  const [message, setMessage] = useState('');

  return (
    <main id="main" className="page" data-testid="page-admin-products">
      <h1>Products</h1>
      {message ? <InfoBanner>{message}</InfoBanner> : null}
      {del.error ? <ErrorBanner problem={toProblem(del.error)} /> : null}
      {editing ? (
        <ProductForm
          key={editing === 'new' ? 'new' : editing.id}
          editing={editing === 'new' ? null : editing}
          onDone={(m) => {
            setEditing(null);
            setMessage(m);
          }}
        />
      ) : (
        <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
          New product
        </button>
      )}
      {products.isPending ? (
        <Skeleton lines={8} label="Loading products…" />
      ) : products.isError ? (
        <ErrorBanner problem={toProblem(products.error)} onRetry={() => void products.refetch()} />
      ) : products.data.items.length === 0 ? (
        <EmptyState title="No products yet" />
      ) : (
        <>
          <div className="table-scroll">
            <table className="table" data-testid="admin-product-table">
              <thead>
                <tr>
                  <th scope="col">SKU</th>
                  <th scope="col">Name</th>
                  <th scope="col">Category</th>
                  <th scope="col">Price</th>
                  <th scope="col">Stock</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {products.data.items.map((p) => (
                  <tr key={p.id}>
                    <td>
                      <code>{p.sku}</code>
                    </td>
                    <td>
                      <Link to={`/products/${p.id}`}>{p.name}</Link>
                    </td>
                    <td>{p.category}</td>
                    <td>
                      <Money value={p.price} />
                    </td>
                    <td>{p.stock}</td>
                    <td className="row-actions">
                      <button type="button" className="btn btn-small" onClick={() => setEditing(p)} aria-label={`Edit ${p.name}`}>
                        Edit
                      </button>
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        aria-label={`Delete ${p.name}`}
                        disabled={del.isPending}
                        onClick={() => {
                          if (window.confirm(`Delete ${p.name}?`)) del.mutate(p.id, { onSuccess: () => setMessage(`Deleted ${p.name}.`) });
                        }}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination page={products.data.page} pageSize={products.data.page_size} total={products.data.total} onPage={setPage} />
        </>
      )}
    </main>
  );
}
