import { Link } from 'react-router';
import { useCart, useRemoveCartItem, useSetCartItem } from '../hooks/api';
import { toProblem } from '../api/problem';
import type { CartItem } from '../api/types';
import { EmptyState, ErrorBanner, Money, Skeleton } from '../components/ui';

function CartLine({ item, onQuantity, onRemove, busy }: { item: CartItem; onQuantity: (q: number) => void; onRemove: () => void; busy: boolean }) {
  const name = item.name ?? 'Product no longer available';
  const qtyId = `qty-${item.product_id}`;
  return (
    <li className={`cart-line${item.available ? '' : ' unavailable'}`} data-testid="cart-line">
      {item.image_url ? <img src={item.image_url} alt="" width={64} height={48} /> : <div className="thumb-placeholder" aria-hidden="true" />}
      <div className="cart-line-main">
        {item.available ? <Link to={`/products/${item.product_id}`}>{name}</Link> : <span>{name}</span>}
        <span className="muted">
          <Money value={item.unit_price} /> each
        </span>
      </div>
      <div className="cart-line-qty">
        <label htmlFor={qtyId}>Quantity for {name}</label>
        <select id={qtyId} value={item.quantity} disabled={busy || !item.available} onChange={(e) => onQuantity(Number(e.target.value))}>
          {Array.from({ length: Math.max(10, item.quantity) }, (_, i) => i + 1).map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </div>
      <strong className="cart-line-total">
        <Money value={item.line_total} />
      </strong>
      <button type="button" className="btn btn-small" onClick={onRemove} disabled={busy} aria-label={`Remove ${name}`}>
        Remove
      </button>
    </li>
  );
}

export function CartPage() {
  const cart = useCart();
  const setItem = useSetCartItem();
  const remove = useRemoveCartItem();
  const mutationError = setItem.error ?? remove.error;
  const busy = setItem.isPending || remove.isPending;

  return (
    <main id="main" className="page" data-testid="page-cart">
      <h1>Your cart</h1>
      {mutationError ? <ErrorBanner problem={toProblem(mutationError)} /> : null}
      {cart.isPending ? (
        <Skeleton lines={4} label="Loading your cart…" />
      ) : cart.isError ? (
        <ErrorBanner problem={toProblem(cart.error)} onRetry={() => void cart.refetch()} />
      ) : cart.data.items.length === 0 ? (
        <EmptyState title="Your cart is empty">
          <Link to="/products" className="btn btn-primary">
            Browse products
          </Link>
        </EmptyState>
      ) : (
        <>
          <ul className="cart-lines" aria-busy={busy}>
            {cart.data.items.map((item) => (
              <CartLine
                key={item.product_id}
                item={item}
                busy={busy}
                onQuantity={(quantity) => setItem.mutate({ productId: item.product_id, quantity })}
                onRemove={() => remove.mutate(item.product_id)}
              />
            ))}
          </ul>
          {cart.data.items.some((i) => !i.available) ? (
            <p className="banner banner-warn">Some products are no longer available; remove them to check out.</p>
          ) : null}
          <div className="cart-total">
            <span>
              Total ({cart.data.item_count} {cart.data.item_count === 1 ? 'item' : 'items'})
            </span>
            <strong data-testid="cart-total">
              <Money value={cart.data.total} />
            </strong>
          </div>
          <div className="actions">
            <Link to="/products" className="btn">
              Continue shopping
            </Link>
            {cart.data.item_count > 0 && cart.data.items.every((i) => i.available) ? (
              <Link to="/checkout" className="btn btn-primary">
                Check out
              </Link>
            ) : null}
          </div>
        </>
      )}
    </main>
  );
}
