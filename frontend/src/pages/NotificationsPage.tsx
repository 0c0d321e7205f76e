import { Link, useSearchParams } from 'react-router';
import { useMarkRead, useNotifications } from '../hooks/api';
import { toProblem } from '../api/problem';
import { EmptyState, ErrorBanner, formatDate, Pagination, Skeleton } from '../components/ui';

export function NotificationsPage() {
  const [params] = useSearchParams();
  const page = Math.max(1, Number(params.get('page')) || 1);
  const list = useNotifications(page);
  const markRead = useMarkRead();
  return (
    <main id="main" className="page" data-testid="page-notifications">
      <h1>
        Notifications {list.data ? <span className="muted">({list.data.unread} unread)</span> : null}
      </h1>
      {markRead.error ? <ErrorBanner problem={toProblem(markRead.error)} /> : null}
      {list.isPending ? (
        <Skeleton lines={5} label="Loading notifications…" />
      ) : list.isError ? (
        <ErrorBanner problem={toProblem(list.error)} onRetry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <EmptyState title="No notifications yet">
          <p>We will tell you here when something happens to your orders.</p>
        </EmptyState>
      ) : (
        <>
          <ul className="notifications" data-testid="notification-list">
            {list.data.items.map((n) => (
              <li key={n.id} className={`card notification${n.read_at ? '' : ' unread'}`} data-testid="notification">
                <div>
                  <strong>{n.title}</strong> {n.read_at ? null : <span className="badge">new</span>}
                  <p>{n.body}</p>
                  <small className="muted">
                    <time dateTime={n.created_at}>{formatDate(n.created_at)}</time>
                    {n.order_id ? <> · <Link to={`/orders/${n.order_id}`}>View order</Link></> : null}
                  </small>
                </div>
                {n.read_at ? null : (
                  <button type="button" className="btn btn-small" onClick={() => markRead.mutate(n.id)} disabled={markRead.isPending && markRead.variables === n.id} aria-label={`Mark "${n.title}" as read`}>
                    Mark read
                  </button>
                )}
              </li>
            ))}
          </ul>
          <Pagination page={list.data.page} pageSize={list.data.page_size} total={list.data.total} hrefFor={(p) => `/notifications?page=${p}`} />
        </>
      )}
    </main>
  );
}
