import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api, unwrap } from '../api/client';
import { isRetryable } from '../api/problem';
import type { OrderStatus } from '../api/types';
import { keys } from './api';

/** Statuses after which nothing changes without someone acting: stop polling. */
export const FINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(['paid', 'payment_failed', 'cancelled', 'fulfilled']);

export function isFinal(status: OrderStatus | undefined): boolean {
  return !!status && FINAL_STATUSES.has(status);
}

/** Follows an order live: polls every `intervalMs` while it is pending, stops at a final status. */
export function useOrderFollower(id: string, intervalMs = 1000) {
  const qc = useQueryClient();
  const query = useQuery({
    queryKey: keys.order(id),
    queryFn: () => unwrap(api.GET('/api/v1/orders/{id}', { params: { path: { id } } })),
    staleTime: 0,
    refetchInterval: (q) => {
      if (q.state.data && isFinal(q.state.data.status)) return false;
      // A 4xx (not found, signed out) will not get better by asking again.
      if (q.state.status === 'error' && !isRetryable(q.state.error)) return false;
      return intervalMs;
    },
    refetchIntervalInBackground: false,
  });
  const status = query.data?.status;
  const final = isFinal(status);
  useEffect(() => {
    if (final) {
      // A settled order usually brings a notification and changes the history.
      void qc.invalidateQueries({ queryKey: keys.unread });
      void qc.invalidateQueries({ queryKey: ['notifications'] });
      void qc.invalidateQueries({ queryKey: ['orders'] });
    }
  }, [final, status, qc]);
  return { ...query, isFinal: final };
}
