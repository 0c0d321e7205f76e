import { Link, useParams } from 'react-router';
import { useCancelOrder, useFulfilOrder } from '../hooks/api';
import { useAuth } from '../auth/AuthContext';
import { useOrderFollower } from '../hooks/useOrderFollower';
import { toProblem } from '../api/problem';
import type { Order } from '../api/types';
import { ErrorBanner, formatDate, Money, Skeleton, StatusBadge } from '../components/ui';

function StatusMessage({ order }: { order: Order }) {
  switch (order.status) {
    case 'pending_payment':
      return (
        <p className="banner banner-info" role="status" data-testid="order-pending">
          <span className="spinner" aria-hidden="true" /> Waiting for the payment… this page updates by itself.
        </p>
      );
    case 'paid':
      return (
        <p className="banner banner-success" role="status">
          Payment received — thank you! Your order is being prepared.
        </p>
      );
    case 'fulfilled':
      return (
        <p className="banner banner-success" role="status">
          Your order has been sent.
        </p>
      );
    case 'payment_failed':
      return (
        <p className="banner banner-error" role="alert">
          The payment failed: the card was declined. Nothing was charged. <Link to="/products">Continue shopping</Link>
        </p>
      );
    case 'cancelled':
      return (
        <p className="banner banner-warn" role="status">
          This order was cancelled{order.cancel_reason === 'out_of_stock' ? ' because a product ran out of stock' : ''}.
        </p>
      );
  }
}

export function OrderPage() {
  const { id = '' } = useParams();
  const order = useOrderFollower(id);
  const cancel = useCancelOrder();
  const fulfil = useFulfilOrder();
  const { isAdmin } = useAuth();

  if (order.isPending) {
    return (
      <main id="main" className="page" data-testid="page-order">
        <h1>Order</h1>
        <Skeleton lines={5} label="Loading the order…" />
      </main>
    );
  }
  if (order.isError && !order.data) {
    const problem = toProblem(order.error);
    return (
      <main id="main" className="page" data-testid="page-order">
        <h1>{problem.status === 404 ? 'Order not found' : 'Could not load the order'}</h1>
        {problem.status === 404 ? null : <ErrorBanner problem={problem} onRetry={() => void order.refetch()} />}
        <Link to="/orders">All your orders</Link>
      </main>
    );
  }
  const o = order.data;
  return (
    <main id="main" className="page" data-testid="page-order">
      <h1>
        Order <code className="order-id">{o.id.slice(0, 8)}</code> <StatusBadge status={o.status} />
      </h1>
      <div aria-live="polite">
        <StatusMessage order={o} />
      </div>
      {cancel.error ? <ErrorBanner problem={toProblem(cancel.error)} /> : null}
      {fulfil.error ? <ErrorBanner problem={toProblem(fulfil.error)} /> : null}
      <section aria-labelledby="lines-heading">
        <h2 id="lines-heading">Items</h2>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Product</th>
              <th scope="col">Qty</th>
              <th scope="col">Price</th>
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {o.lines.map((l) => (
              <tr key={l.product_id}>
                <td>
                  <Link to={`/products/${l.product_id}`}>{l.name}</Link>
                </td>
                <td>{l.quantity}</td>
                <td>
                  <Money value={l.unit_price} />
                </td>
                <td>
                  <Money value={l.line_total} />
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={3}>
                Total
              </th>
              <td data-testid="order-total">
                <Money value={o.total} />
              </td>
            </tr>
          </tfoot>
        </table>
      </section>
      <div className="two-col">
        <section aria-labelledby="ship-heading">
          <h2 id="ship-heading">Shipping to</h2>
          <address>
            {o.shipping_address.name}
            <br />
            {o.shipping_address.line1}
            {o.shipping_address.line2 ? (
              <>
                <br />
                {o.shipping_address.line2}
              </>
            ) : null}
            <br />
            {o.shipping_address.postal_code} {o.shipping_address.city}
            <br />
            {o.shipping_address.country}
          </address>
        </section>
        <section aria-labelledby="history-heading">
          <h2 id="history-heading">History</h2>
          <ol className="timeline" data-testid="status-history">
            {o.status_history.map((h, i) => (
              <li key={`${h.status}-${i}`}>
                <StatusBadge status={h.status} /> <time dateTime={h.at}>{formatDate(h.at)}</time>
              </li>
            ))}
          </ol>
        </section>
      </div>
      <div className="actions">
        <Link to="/orders" className="btn">
          All orders
        </Link>
        {o.status === 'pending_payment' ? (
          <button
            type="button"
            className="btn btn-danger"
            disabled={cancel.isPending}
            onClick={() => {
              if (window.confirm('Cancel this order?')) cancel.mutate(o.id);
            }}
          >
            {cancel.isPending ? 'Cancelling…' : 'Cancel order'}
          </button>
        ) : null}
        {isAdmin && o.status === 'paid' ? (
          <button type="button" className="btn btn-primary" disabled={fulfil.isPending} onClick={() => fulfil.mutate(o.id)}>
            {fulfil.isPending ? 'Marking fulfilled…' : 'Mark fulfilled'}
          </button>
        ) : null}
      </div>
    </main>
  );
}
