import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http } from 'msw';
import { renderApp, signInAs } from '../test/render';
import { db } from '../mocks/db';
import { server } from '../mocks/server';
import { problem } from '../mocks/handlers';

function fillCart(userId: string) {
  const [mug, pan] = db.products; // Ceramic Mug $12.99, Cast Iron Pan $45.99
  db.carts.set(userId, [
    { product_id: mug!.id, quantity: 2 },
    { product_id: pan!.id, quantity: 1 },
  ]);
}

describe('CartPage', () => {
  it('sends signed-out visitors to sign in', async () => {
    renderApp('/cart');
    await screen.findByTestId('page-signin');
    expect(screen.getByTestId('location').textContent).toBe('/signin?next=%2Fcart');
  });

  it('shows an empty state', async () => {
    signInAs();
    renderApp('/cart');
    expect(await screen.findByText('Your cart is empty')).toBeInTheDocument();
  });

  it('lists lines with totals, changes quantities and removes lines', async () => {
    const user = userEvent.setup();
    const ada = signInAs();
    fillCart(ada.profile.id);
    renderApp('/cart');
    const page = await screen.findByTestId('page-cart');
    await waitFor(() => expect(within(page).getAllByTestId('cart-line')).toHaveLength(2));
    expect(screen.getByTestId('cart-total')).toHaveTextContent('$71.97');
    expect(screen.getByText('Total (3 items)')).toBeInTheDocument();
    expect(screen.getByTestId('cart-count')).toHaveTextContent('3');

    await user.selectOptions(screen.getByLabelText('Quantity for Ceramic Mug'), '4');
    await waitFor(() => expect(screen.getByTestId('cart-total')).toHaveTextContent('$97.95'));
    expect(db.carts.get(ada.profile.id)![0]!.quantity).toBe(4);

    await user.click(screen.getByRole('button', { name: 'Remove Cast Iron Pan' }));
    await waitFor(() => expect(within(page).getAllByTestId('cart-line')).toHaveLength(1));
    expect(screen.getByTestId('cart-total')).toHaveTextContent('$51.96');
    expect(screen.getByRole('link', { name: 'Check out' })).toHaveAttribute('href', '/checkout');
  });

  it('shows a failed change as a banner with the problem detail', async () => {
    const user = userEvent.setup();
    const ada = signInAs();
    fillCart(ada.profile.id);
    server.use(http.delete('/api/v1/cart/items/:id', () => problem(503, 'unavailable', 'The cart service is unavailable.')));
    renderApp('/cart');
    await user.click(await screen.findByRole('button', { name: 'Remove Ceramic Mug' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The cart service is unavailable.');
    expect(screen.getAllByTestId('cart-line')).toHaveLength(2);
  });

  it('marks products the catalog no longer has', async () => {
    const ada = signInAs();
    db.carts.set(ada.profile.id, [{ product_id: '00000000-0000-4000-8000-ffffffffffff', quantity: 1 }]);
    renderApp('/cart');
    expect(await screen.findByText('Product no longer available')).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Check out' })).not.toBeInTheDocument();
  });
});
