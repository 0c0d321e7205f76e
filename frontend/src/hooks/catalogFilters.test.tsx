import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http } from 'msw';
import { filtersToParams, parseFilters, EMPTY_FILTERS } from './catalogFilters';
import { renderApp } from '../test/render';
import { server } from '../mocks/server';
import { problem } from '../mocks/handlers';

describe('catalogue filters <-> URL', () => {
  it('parses and serialises the query string', () => {
    const f = parseFilters(new URLSearchParams('q=mug&category=kitchen&min_price=500&max_price=2000&sort=price_asc&page=2'));
    expect(f).toEqual({ q: 'mug', category: 'kitchen', min_price: 500, max_price: 2000, sort: 'price_asc', page: 2 });
    expect(filtersToParams(f).toString()).toBe('q=mug&category=kitchen&min_price=500&max_price=2000&sort=price_asc&page=2');
  });

  it('drops junk and defaults', () => {
    expect(parseFilters(new URLSearchParams('sort=bogus&page=-3&min_price=abc'))).toEqual(EMPTY_FILTERS);
    expect(filtersToParams(EMPTY_FILTERS).toString()).toBe('');
  });

  it('renders filters from the URL and writes changes back to it', async () => {
    const user = userEvent.setup();
    renderApp('/products?category=kitchen&sort=price_desc');
    const page = await screen.findByTestId('page-catalog');
    await waitFor(() => expect(within(page).getAllByTestId('product-card').length).toBeGreaterThan(0));

    // The URL state is shown in the controls.
    expect(screen.getByLabelText('Sort by')).toHaveValue('price_desc');
    await waitFor(() => expect(screen.getByLabelText('Category')).toHaveValue('kitchen'));
    const names = within(page).getAllByTestId('product-card').map((c) => c.querySelector('.product-name')!.textContent);
    expect(names[0]).toBe('Cast Iron Pan'); // the dearest kitchen product first

    // Search + price range go into the URL on submit (prices in cents, page reset).
    await user.type(screen.getByLabelText('Search'), 'mug');
    await user.type(screen.getByLabelText('Min price ($)'), '5');
    await user.type(screen.getByLabelText('Max price ($)'), '20.5');
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() =>
      expect(screen.getByTestId('location')).toHaveTextContent('/products?q=mug&category=kitchen&min_price=500&max_price=2050&sort=price_desc'),
    );
    await waitFor(() => expect(within(page).getAllByTestId('product-card')).toHaveLength(1));
    expect(screen.getByText('Ceramic Mug')).toBeInTheDocument();

    // Selects apply at once.
    await user.selectOptions(screen.getByLabelText('Category'), '');
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/products?q=mug&min_price=500&max_price=2050&sort=price_desc'));

    await user.click(screen.getByRole('button', { name: 'Clear' }));
    await waitFor(() => expect(screen.getByTestId('location').textContent).toBe('/products'));
    expect(screen.getByLabelText('Search')).toHaveValue('');
  });

  it('paginates through the URL', async () => {
    const user = userEvent.setup();
    renderApp('/products');
    await screen.findAllByTestId('product-card');
    expect(screen.getByText('Page 1 of 2')).toBeInTheDocument();
    await user.click(screen.getByRole('link', { name: 'Next ›' }));
    await waitFor(() => expect(screen.getByTestId('location').textContent).toBe('/products?page=2'));
    await screen.findByText('Page 2 of 2');
  });

  it('shows a 400 problem next to the field it names', async () => {
    server.use(http.get('/api/v1/products', () => problem(400, 'validation', 'Invalid query.', [{ field: 'max_price', message: 'must be at most 1000000' }])));
    renderApp('/products?max_price=999999999');
    expect(await screen.findByText('must be at most 1000000')).toBeInTheDocument();
    expect(screen.getByLabelText('Max price ($)')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByTestId('error-banner')).not.toBeInTheDocument();
  });

  it('validates the price range before asking the API', async () => {
    const user = userEvent.setup();
    renderApp('/products');
    await screen.findAllByTestId('product-card');
    await user.type(screen.getByLabelText('Min price ($)'), '30');
    await user.type(screen.getByLabelText('Max price ($)'), '10');
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    expect(await screen.findByText('Must not be more than the maximum')).toBeInTheDocument();
    expect(screen.getByTestId('location').textContent).toBe('/products');
  });
});
