import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams, useLocation } from 'react-router';
import { useAuth } from '../auth/AuthContext';
import { useCategories, useProduct, useSetCartItem, useCart } from '../hooks/api';
import { toProblem } from '../api/problem';
import { ErrorBanner, InfoBanner, Money, Skeleton, TextField } from '../components/ui';

export function ProductPage() {
  const { id = '' } = useParams();
  const product = useProduct(id);
  const categories = useCategories();
  const cart = useCart();
  const { token } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const setItem = useSetCartItem();
  const [quantity, setQuantity] = useState('1');
  const [added, setAdded] = useState(false);

  if (product.isPending) {
    return (
      <main id="main" className="page" data-testid="page-product">
        <Skeleton lines={6} label="Loading product…" />
      </main>
    );
  }
  if (product.isError) {
    const problem = toProblem(product.error);
    return (
      <main id="main" className="page" data-testid="page-product">
        <h1>{problem.status === 404 ? 'Product not found' : 'Could not load the product'}</h1>
        {problem.status === 404 ? null : <ErrorBanner problem={problem} onRetry={() => void product.refetch()} />}
        <Link to="/products">Back to all products</Link>
      </main>
    );
  }
  const p = product.data;
  const category = categories.data?.find((c) => c.slug === p.category);
  const inCart = cart.data?.items.find((i) => i.product_id === p.id)?.quantity ?? 0;
  const max = Math.max(1, Math.min(99 - inCart, p.stock));

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (!token) {
      navigate(`/signin?next=${encodeURIComponent(location.pathname)}`);
      return;
    }
    const n = Number(quantity);
    setAdded(false);
    setItem.mutate({ productId: p.id, quantity: Math.min(99, inCart + n) }, { onSuccess: () => setAdded(true) });
  };
  const problem = setItem.error ? toProblem(setItem.error) : null;
  const qtyError = problem?.errors?.find((e) => e.field === 'quantity')?.message;

  return (
    <main id="main" className="page" data-testid="page-product">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/products">Products</Link>
        {category ? (
          <>
            {' / '}
            <Link to={`/products?category=${encodeURIComponent(category.slug)}`}>{category.name}</Link>
          </>
        ) : null}
      </nav>
      <div className="product-detail">
        <img src={p.image_url} alt={p.name} width={480} height={360} />
        <div>
          <h1>{p.name}</h1>
          <p className="price-large">
            <Money value={p.price} />
          </p>
          <p className="muted">SKU {p.sku}</p>
          <p>{p.description}</p>
          <p data-testid="stock">{p.stock > 0 ? `${p.stock} in stock` : 'Out of stock'}</p>
          <form onSubmit={onSubmit} className="add-to-cart">
            <TextField
              label="Quantity"
              name="quantity"
              type="number"
              min={1}
              max={max}
              required
              value={quantity}
              onChange={(e) => setQuantity(e.target.value)}
              error={qtyError}
            />
            <button type="submit" className="btn btn-primary" disabled={p.stock <= 0 || setItem.isPending || inCart >= 99}>
              {setItem.isPending ? 'Adding…' : 'Add to cart'}
            </button>
          </form>
          {inCart > 0 ? <p className="muted">{inCart} already in your cart.</p> : null}
          {problem && !qtyError ? <ErrorBanner problem={problem} /> : null}
          {added ? (
            <InfoBanner>
              Added to your cart. <Link to="/cart">View cart</Link>
            </InfoBanner>
          ) : null}
        </div>
      </div>
    </main>
  );
}
