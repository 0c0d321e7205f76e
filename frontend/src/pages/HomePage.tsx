import { Link, useNavigate } from 'react-router';
import { useAuth } from '../auth/AuthContext';
import { toProblem } from '../api/problem';
import { useStorefront } from '../hooks/api';
import { ProductCard } from '../components/ProductCard';
import { CardGridSkeleton, EmptyState, ErrorBanner, Money, Skeleton } from '../components/ui';

function Unavailable({ part }: { part: string }) {
  return (
    <p className="banner banner-warn" data-testid={`unavailable-${part}`}>
      The {part} {part.endsWith('s') ? 'are' : 'is'} temporarily unavailable. Please try again in a moment.
    </p>
  );
}

export function HomePage() {
  const { token, user } = useAuth();
  const navigate = useNavigate();
  const storefront = useStorefront();
  const sf = storefront.data;
  const unavailable = new Set(sf?.unavailable ?? []);

  return (
    <main id="main" className="page" data-testid="page-home">
      <section className="hero">
        <h1>{user ? `Welcome back, ${user.name}` : 'Welcome to Wasmart'}</h1>
        <p>Everyday things, served by WebAssembly.</p>
        <form
          role="search"
          action="/products"
          className="hero-search"
          onSubmit={(e) => {
            e.preventDefault();
            const q = String(new FormData(e.currentTarget).get('q') ?? '').trim();
            navigate(q ? `/products?q=${encodeURIComponent(q)}` : '/products');
          }}
        >
          <label htmlFor="home-search" className="visually-hidden">
            Search products
          </label>
          <input id="home-search" name="q" type="search" placeholder="Search products" maxLength={100} />
          <button type="submit" className="btn btn-primary">
            Search
          </button>
        </form>
      </section>

      {storefront.isError ? (
        <ErrorBanner problem={toProblem(storefront.error)} onRetry={() => void storefront.refetch()} />
      ) : null}

      {token && sf ? (
        <section className="summary-row" aria-label="Your shop">
          {unavailable.has('cart') ? (
            <Unavailable part="cart" />
          ) : sf.cart ? (
            <Link to="/cart" className="card summary" data-testid="cart-summary">
              <strong>Cart</strong> {sf.cart.item_count} {sf.cart.item_count === 1 ? 'item' : 'items'} ·{' '}
              <Money value={sf.cart.subtotal} />
            </Link>
          ) : null}
          {unavailable.has('notifications') ? (
            <Unavailable part="notifications" />
          ) : sf.unread_notifications !== null ? (
            <Link to="/notifications" className="card summary" data-testid="unread-summary">
              <strong>Notifications</strong> {sf.unread_notifications} unread
            </Link>
          ) : null}
        </section>
      ) : null}

      <section aria-labelledby="categories-heading">
        <h2 id="categories-heading">Categories</h2>
        {storefront.isPending ? (
          <Skeleton lines={1} label="Loading categories…" />
        ) : unavailable.has('categories') || (sf && sf.categories === null) ? (
          <Unavailable part="categories" />
        ) : sf?.categories?.length ? (
          <ul className="chips" data-testid="category-list">
            {sf.categories.map((c) => (
              <li key={c.slug}>
                <Link className="chip" to={`/products?category=${encodeURIComponent(c.slug)}`}>
                  {c.name} <span className="muted">({c.product_count})</span>
                </Link>
              </li>
            ))}
          </ul>
        ) : sf ? (
          <p className="muted">No categories yet.</p>
        ) : null}
      </section>

      <section aria-labelledby="featured-heading">
        <h2 id="featured-heading">Featured products</h2>
        {storefront.isPending ? (
          <CardGridSkeleton />
        ) : unavailable.has('featured') || (sf && sf.featured === null) ? (
          <Unavailable part="featured products" />
        ) : sf?.featured?.items.length ? (
          <ul className="product-grid" data-testid="featured-list">
            {sf.featured.items.map((p) => (
              <ProductCard key={p.id} product={p} />
            ))}
          </ul>
        ) : sf ? (
          <EmptyState title="Nothing featured yet">
            <Link to="/products">Browse the catalogue</Link>
          </EmptyState>
        ) : null}
        {sf?.featured?.items.length ? (
          <p>
            <Link to="/products">See all products →</Link>
          </p>
        ) : null}
      </section>
    </main>
  );
}
