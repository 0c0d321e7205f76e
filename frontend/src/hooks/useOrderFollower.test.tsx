import { renderHook, waitFor } from '@testing-library/react';
import { QueryClientProvider } from '@tanstack/react-query';
import { http, HttpResponse } from 'msw';
import type { ReactNode } from 'react';
import { makeQueryClient } from '../lib/queryClient';
import { server } from '../mocks/server';
import type { Order, OrderStatus } from '../api/types';
import { useOrderFollower, isFinal } from './useOrderFollower';

const ID = '11111111-1111-4111-8111-111111111111';

function order(status: OrderStatus): Order {
  const at = '2025-01-01T00:00:00.000Z';
  return {
    id: ID,
    user_id: '22222222-2222-4222-8222-222222222222',
    status,
    lines: [],
    total: { amount: 100, currency: 'USD' },
    shipping_address: { name: 'A', line1: 'B', city: 'C', postal_code: 'D', country: 'US' },
    cancel_reason: null,
    status_history: [{ status: 'pending_payment', at }],
    created_at: at,
    updated_at: at,
  };
}

/** Answers pending for the first `pending` reads, then `final`; counts reads. */
function serve(pending: number, final: OrderStatus) {
  const calls = { n: 0 };
  server.use(
    http.get<{ id: string }, never, Order>('/api/v1/orders/:id', () => {
      calls.n += 1;
      return HttpResponse.json(order(calls.n <= pending ? 'pending_payment' : final));
    }),
  );
  return calls;
}

let client = makeQueryClient();
beforeEach(() => {
  client = makeQueryClient();
});
function wrapper({ children }: { children: ReactNode }) {
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}

describe('useOrderFollower', () => {
  it('knows the final statuses', () => {
    expect(isFinal('pending_payment')).toBe(false);
    for (const s of ['paid', 'payment_failed', 'cancelled', 'fulfilled'] as const) expect(isFinal(s)).toBe(true);
  });

  it.each(['paid', 'payment_failed'] as const)('polls while pending and stops at %s', async (final) => {
    const calls = serve(2, final);
    // Every render is recorded: polling every 20 ms can move past `pending` between two awaits.
    const seen: Array<[OrderStatus | undefined, boolean]> = [];
    const { result } = renderHook(
      () => {
        const follower = useOrderFollower(ID, 20);
        seen.push([follower.data?.status, follower.isFinal]);
        return follower;
      },
      { wrapper },
    );
    await waitFor(() => expect(result.current.data?.status).toBe(final), { timeout: 2000 });
    expect(result.current.isFinal).toBe(true);
    expect(seen).toContainEqual(['pending_payment', false]);
    expect(seen.filter(([status]) => status === 'pending_payment').every(([, fin]) => !fin)).toBe(true);
    const settledAt = calls.n;
    expect(settledAt).toBe(3);
    // No more requests once final.
    await new Promise((r) => setTimeout(r, 150));
    expect(calls.n).toBe(settledAt);
  });

  it('does not poll an order that is already final', async () => {
    const calls = serve(0, 'cancelled');
    const { result } = renderHook(() => useOrderFollower(ID, 20), { wrapper });
    await waitFor(() => expect(result.current.data?.status).toBe('cancelled'));
    await new Promise((r) => setTimeout(r, 120));
    expect(calls.n).toBe(1);
  });

  it('does not retry a 404', async () => {
    let n = 0;
    server.use(
      http.get('/api/v1/orders/:id', () => {
        n += 1;
        return HttpResponse.json({ type: 'https://wasmart.dev/problems/not-found', title: 'Not found', status: 404, detail: 'No such order.' }, { status: 404 });
      }),
    );
    const { result } = renderHook(() => useOrderFollower(ID, 20), { wrapper });
    await waitFor(() => expect(result.current.isError).toBe(true));
    await new Promise((r) => setTimeout(r, 100));
    expect(n).toBe(1);
  });
});
