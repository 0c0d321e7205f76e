import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { renderApp, signInAs } from '../test/render';
import { db } from '../mocks/db';
import { server } from '../mocks/server';
import { problem } from '../mocks/handlers';
import { tokenStore } from '../api/client';

describe('home page', () => {
  it('renders featured products and categories', async () => {
    renderApp('/');
    const list = await screen.findByTestId('featured-list');
    expect(within(list).getAllByTestId('product-card').length).toBe(8);
    expect(screen.getByTestId('category-list')).toHaveTextContent('Kitchen');
  });

  it('shows parts the storefront lists as unavailable instead of a blank page', async () => {
    db.storefrontUnavailable = ['featured', 'notifications'];
    signInAs();
    renderApp('/');
    expect(await screen.findByTestId('unavailable-featured products')).toHaveTextContent('temporarily unavailable');
    expect(screen.getByTestId('unavailable-notifications')).toHaveTextContent('temporarily unavailable');
    expect(screen.getByTestId('category-list')).toBeInTheDocument();
    expect(screen.getByTestId('cart-summary')).toBeInTheDocument();
  });

  it('shows a banner when the storefront itself fails', async () => {
    server.use(http.get('/api/v1/storefront', () => problem(502, 'bad-gateway', 'The gateway is having a moment.')));
    renderApp('/');
    expect(await screen.findByTestId('error-banner')).toHaveTextContent('The gateway is having a moment.');
    expect(screen.getByTestId('page-home')).toBeInTheDocument();
  });
});

describe('auth', () => {
  it('a 401 from the API signs the user out', async () => {
    signInAs();
    server.use(http.get('/api/v1/cart', () => problem(401, 'unauthorized', 'Token expired.')));
    renderApp('/cart');
    await screen.findByTestId('page-signin');
    expect(tokenStore.get()).toBeNull();
    expect(screen.getByRole('link', { name: 'Sign in' })).toBeInTheDocument();
  });

  it('signs in and goes where it was asked to', async () => {
    const user = userEvent.setup();
    renderApp('/signin?next=%2Forders');
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'wrong-password');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong email or password.');
    await user.clear(screen.getByLabelText('Password'));
    await user.type(screen.getByLabelText('Password'), 'correct-horse');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    await screen.findByTestId('page-orders');
    expect(tokenStore.get()).toMatch(/^mock\./);
  });

  it('registration shows each invalid field next to it', async () => {
    const user = userEvent.setup();
    server.use(
      http.post('/api/v1/accounts', () =>
        problem(400, 'validation', 'Some fields are invalid.', [
          { field: 'email', message: 'is not a valid email address' },
          { field: 'name', message: 'must not contain control characters' },
        ]),
      ),
    );
    renderApp('/register');
    await user.type(screen.getByLabelText('Name'), 'Bob');
    await user.type(screen.getByLabelText('Email'), 'bob@nowhere');
    await user.type(screen.getByLabelText(/^Password/), 'long-enough-password');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByText('is not a valid email address')).toBeInTheDocument();
    expect(screen.getByText('must not contain control characters')).toBeInTheDocument();
    expect(screen.getByLabelText('Email')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Email')).toHaveAccessibleDescription('is not a valid email address');
  });
});

describe('checkout → order follower', () => {
  it('maps checkout field errors, then places the order and follows it to paid', async () => {
    const user = userEvent.setup();
    const ada = signInAs();
    db.carts.set(ada.profile.id, [{ product_id: db.products[0]!.id, quantity: 1 }]);
    db.pendingPolls = 1;
    let firstTry = true;
    let keys: (string | null)[] = [];
    server.use(
      http.post('/api/v1/orders', ({ request }) => {
        keys.push(request.headers.get('Idempotency-Key'));
        if (firstTry) {
          firstTry = false;
          return problem(400, 'validation', 'Some fields are invalid.', [{ field: 'shipping_address.postal_code', message: 'must be 1 to 20 characters' }]);
        }
        return undefined; // fall through to the default handler
      }),
    );
    renderApp('/checkout');
    // Pre-filled from the saved address.
    await waitFor(() => expect(screen.getByLabelText('City')).toHaveValue('London'));
    expect(screen.getByLabelText(/Test Visa/)).toBeChecked();
    expect(screen.getByText(/tok_chargeDeclined/)).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: /Place order/ }));
    expect(await screen.findByText('must be 1 to 20 characters')).toBeInTheDocument();
    expect(screen.getByLabelText('Postal code')).toHaveAttribute('aria-invalid', 'true');

    await user.click(screen.getByRole('button', { name: /Place order/ }));
    await screen.findByTestId('page-order');
    expect(keys).toHaveLength(2);
    expect(keys[0]).not.toBe(keys[1]);
    expect(screen.getAllByTestId('order-status')[0]).toHaveAttribute('data-status', 'pending_payment');
    // Follows the order without any reload.
    await waitFor(() => expect(screen.getAllByTestId('order-status')[0]).toHaveAttribute('data-status', 'paid'), { timeout: 4000 });
    expect(screen.getByText(/Payment received/)).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('unread-badge')).toHaveTextContent('2'));
    keys = [];
  });

  it('shows a declined payment', async () => {
    const user = userEvent.setup();
    const ada = signInAs();
    db.carts.set(ada.profile.id, [{ product_id: db.products[0]!.id, quantity: 1 }]);
    db.pendingPolls = 0;
    renderApp('/checkout');
    await waitFor(() => expect(screen.getByLabelText('City')).toHaveValue('London'));
    await user.click(screen.getByLabelText(/Declined card/));
    await user.click(screen.getByRole('button', { name: /Place order/ }));
    await waitFor(() => expect(screen.getAllByTestId('order-status')[0]).toHaveAttribute('data-status', 'payment_failed'), { timeout: 4000 });
    expect(screen.getByRole('alert')).toHaveTextContent('The payment failed');
  });
});

describe('notifications', () => {
  it('marks a notification read and updates the badge', async () => {
    const user = userEvent.setup();
    const ada = signInAs();
    db.notifications.push({ id: '00000000-0000-4000-8000-00000000aaaa', user_id: ada.profile.id, kind: 'payment_received', order_id: '00000000-0000-4000-8000-00000000bbbb', title: 'Payment received', body: 'Thanks', created_at: '2025-01-01T00:00:00.000Z', read_at: null });
    renderApp('/notifications');
    await waitFor(() => expect(screen.getByTestId('unread-badge')).toHaveTextContent('1'));
    await user.click(await screen.findByRole('button', { name: 'Mark "Payment received" as read' }));
    await waitFor(() => expect(screen.queryByTestId('unread-badge')).not.toBeInTheDocument());
    expect(screen.queryByRole('button', { name: /Mark/ })).not.toBeInTheDocument();
  });
});

describe('admin', () => {
  it('is closed to customers', async () => {
    signInAs();
    renderApp('/admin/ops');
    expect(await screen.findByTestId('page-forbidden')).toBeInTheDocument();
  });

  it('shows every service on the ops dashboard', async () => {
    signInAs('admin@wasmart.local');
    renderApp('/admin/ops');
    const services = await screen.findAllByTestId('service');
    expect(services.map((s) => s.getAttribute('data-service'))).toEqual(['gateway', 'catalog', 'accounts', 'cart', 'orders', 'payments', 'notifications', 'telemetry', 'alerts']);
    expect(services[0]).toHaveTextContent(/\d+ ms/);
  });

  it('marks a paid order fulfilled', async () => {
    const user = userEvent.setup();
    const ada = signInAs();
    db.carts.set(ada.profile.id, [{ product_id: db.products[0]!.id, quantity: 1 }]);
    renderApp('/checkout');
    await waitFor(() => expect(screen.getByLabelText('City')).toHaveValue('London'));
    await user.click(screen.getByRole('button', { name: /Place order/ }));
    await screen.findByTestId('page-order');
    await waitFor(() => expect(screen.getAllByTestId('order-status')[0]).toHaveAttribute('data-status', 'paid'), { timeout: 4000 });
    expect(screen.queryByRole('button', { name: 'Mark fulfilled' })).not.toBeInTheDocument();
    const orderPath = screen.getByTestId('location').textContent!;
    cleanup();

    signInAs('admin@wasmart.local');
    renderApp(orderPath);
    await user.click(await screen.findByRole('button', { name: 'Mark fulfilled' }));
    await waitFor(() => expect(screen.getAllByTestId('order-status')[0]).toHaveAttribute('data-status', 'fulfilled'));
    expect(screen.queryByRole('button', { name: 'Mark fulfilled' })).not.toBeInTheDocument();
  });

  it('replays a dead letter', async () => {
    const user = userEvent.setup();
    signInAs('admin@wasmart.local');
    renderApp('/admin/dead-letters');
    await user.click(await screen.findByRole('button', { name: /Replay PaymentSucceeded/ }));
    expect(await screen.findByText(/Processed/)).toBeInTheDocument();
    await screen.findByText('No dead letters');
  });

  it('creates a product, showing a duplicate sku as a banner', async () => {
    const user = userEvent.setup();
    signInAs('admin@wasmart.local');
    server.use(http.post('/api/v1/products', () => HttpResponse.json({ type: 'https://wasmart.dev/problems/duplicate-sku', title: 'Conflict', status: 409, detail: 'Another product has sku MUG-001.' }, { status: 409 })));
    renderApp('/admin');
    await user.click(await screen.findByRole('button', { name: 'New product' }));
    const form = screen.getByTestId('product-form');
    await user.type(within(form).getByLabelText(/^SKU/), 'MUG-001');
    await user.type(within(form).getByLabelText('Name'), 'Mug');
    await waitFor(() => expect(within(form).getAllByRole('option').length).toBeGreaterThan(1));
    await user.selectOptions(within(form).getByLabelText('Category'), 'kitchen');
    await user.type(within(form).getByLabelText('Price (USD)'), '9.99');
    await user.click(within(form).getByRole('button', { name: 'Create product' }));
    expect(await within(form).findByRole('alert')).toHaveTextContent('Another product has sku MUG-001.');
  });
});
