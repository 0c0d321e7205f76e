import { Link, NavLink, Outlet, useNavigate } from 'react-router';
import { Suspense } from 'react';
import { useAuth } from '../auth/AuthContext';
import { useCart, useUnreadCount } from '../hooks/api';
import { Skeleton } from './ui';

function CartLink() {
  const { token } = useAuth();
  const cart = useCart();
  const count = token ? cart.data?.item_count ?? 0 : 0;
  return (
    <NavLink to="/cart" className="nav-link" aria-label={`Cart, ${count} ${count === 1 ? 'item' : 'items'}`}>
      Cart{count > 0 ? <span className="badge" data-testid="cart-count">{count}</span> : null}
    </NavLink>
  );
}

function NotificationsLink() {
  const unread = useUnreadCount();
  const n = unread.data ?? 0;
  return (
    <NavLink to="/notifications" className="nav-link" aria-label={`Notifications, ${n} unread`}>
      Notifications
      {n > 0 ? (
        <span className="badge" data-testid="unread-badge">
          {n}
        </span>
      ) : null}
    </NavLink>
  );
}

export function Layout() {
  const { token, user, isAdmin, signOut } = useAuth();
  const navigate = useNavigate();
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <Link to="/" className="brand" aria-label="Wasmart home">
          <span aria-hidden="true">◆</span> Wasmart
        </Link>
        <nav aria-label="Main" className="main-nav">
          <NavLink to="/products" className="nav-link">
            Products
          </NavLink>
          <CartLink />
          {token ? (
            <>
              <NavLink to="/orders" className="nav-link" end>
                Orders
              </NavLink>
              <NotificationsLink />
              {isAdmin ? (
                <NavLink to="/admin" className="nav-link">
                  Admin
                </NavLink>
              ) : null}
              <NavLink to="/account" className="nav-link" title={user?.email}>
                Account
              </NavLink>
              <button
                type="button"
                className="btn btn-link nav-link"
                onClick={() => {
                  signOut();
                  navigate('/');
                }}
              >
                Sign out
              </button>
            </>
          ) : (
            <>
              <NavLink to="/signin" className="nav-link">
                Sign in
              </NavLink>
              <NavLink to="/register" className="nav-link">
                Register
              </NavLink>
            </>
          )}
        </nav>
      </header>
      <Suspense
        fallback={
          <main id="main" className="page" data-testid="page-loading">
            <Skeleton lines={4} />
          </main>
        }
      >
        <Outlet />
      </Suspense>
      <footer className="site-footer">
        <small>Wasmart — a demo shop on WebAssembly microservices. Test cards only.</small>
      </footer>
    </div>
  );
}
