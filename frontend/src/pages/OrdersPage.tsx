import { Link, useSearchParams } from 'react-router';
import { useOrders } from '../hooks/api';
import { toProblem } from '../api/problem';
import { EmptyState, ErrorBanner, formatDate, Money, Pagination, Skeleton, StatusBadge } from '../components/ui';

export function OrdersPage() {
  const [params] = useSearchParams();
  const page = Math.max(1, Number(params.get('page')) || 1);
  const orders = useOrders(page);
  return (
    <main id="main" className="page" data-testid="page-orders">
      <h1>Your orders</h1>
      {orders.isPending ? (
        <Skeleton lines={5} label="Loading orders…" />
      ) : orders.isError ? (
        <ErrorBanner problem={toProblem(orders.error)} onRetry={() => void orders.refetch()} />
      ) : orders.data.items.length === 0 ? (
        <EmptyState title="No orders yet">
          <Link to="/products">Start shopping</Link>
        </EmptyState>
      ) : (
        <>
          <table className="table" data-testid="order-list">
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Placed</th>
                <th scope="col">Items</th>
                <th scope="col">Total</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {orders.data.items.map((o) => (
                <tr key={o.id}>
                  <td>
                    <Link to={`/orders/${o.id}`}>
                      <code>{o.id.slice(0, 8)}</code>
                    </Link>
                  </td>
                  <td>
                    <time dateTime={o.created_at}>{formatDate(o.created_at)}</time>
                  </td>
                  <td>{o.lines.reduce((n, l) => n + l.quantity, 0)}</td>
                  <td>
                    <Money value={o.total} />
                  </td>
                  <td>
                    <StatusBadge status={o.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination page={orders.data.page} pageSize={orders.data.page_size} total={orders.data.total} hrefFor={(p) => `/orders?page=${p}`} />
        </>
      )}
    </main>
  );
}
