import { useMutation, useQuery, useQueryClient, keepPreviousData } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import type { ApiError } from '../api/problem';
import type {
  AlertRule,
  AlertRuleChange,
  Cart,
  CheckoutRequest,
  Credentials,
  Order,
  ProductDraft,
  ProfilePatch,
  Registration,
} from '../api/types';
import { useAuth } from '../auth/AuthContext';
import type { CatalogFilters } from './catalogFilters';

export const keys = {
  storefront: (signedIn: boolean) => ['storefront', signedIn] as const,
  categories: ['public', 'categories'] as const,
  products: (f: CatalogFilters) => ['public', 'products', f] as const,
  product: (id: string) => ['public', 'product', id] as const,
  cart: ['cart'] as const,
  me: ['me'] as const,
  orders: (page: number) => ['orders', page] as const,
  order: (id: string) => ['order', id] as const,
  notifications: (page: number) => ['notifications', page] as const,
  unread: ['unread'] as const,
  health: ['public', 'health'] as const,
  deadLetters: ['dead-letters'] as const,
  opsOverview: ['ops', 'overview'] as const,
  alerts: ['ops', 'alerts'] as const,
  alertRules: ['ops', 'alert-rules'] as const,
};

export function useStorefront() {
  const { token } = useAuth();
  return useQuery({
    queryKey: keys.storefront(!!token),
    queryFn: () => unwrap(api.GET('/api/v1/storefront')),
    staleTime: 15_000,
  });
}

export function useCategories() {
  return useQuery({
    queryKey: keys.categories,
    queryFn: () => unwrap(api.GET('/api/v1/categories')),
    staleTime: 5 * 60_000,
  });
}

export function useProducts(filters: CatalogFilters, pageSize = 12) {
  return useQuery({
    queryKey: keys.products({ ...filters, page_size: pageSize } as CatalogFilters),
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/products', {
          params: {
            query: {
              q: filters.q || undefined,
              category: filters.category || undefined,
              min_price: filters.min_price ?? undefined,
              max_price: filters.max_price ?? undefined,
              sort: filters.sort || undefined,
              page: filters.page,
              page_size: pageSize,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

export function useProduct(id: string) {
  return useQuery({
    queryKey: keys.product(id),
    queryFn: () => unwrap(api.GET('/api/v1/products/{id}', { params: { path: { id } } })),
  });
}

export function useCart() {
  const { token } = useAuth();
  return useQuery({
    queryKey: keys.cart,
    queryFn: () => unwrap(api.GET('/api/v1/cart')),
    enabled: !!token,
    staleTime: 10_000,
  });
}

function useCartUpdated() {
  const qc = useQueryClient();
  return (cart: Cart) => {
    qc.setQueryData(keys.cart, cart);
    void qc.invalidateQueries({ queryKey: ['storefront'] });
  };
}

export function useSetCartItem() {
  const updated = useCartUpdated();
  return useMutation<Cart, ApiError, { productId: string; quantity: number }>({
    mutationFn: ({ productId, quantity }) =>
      unwrap(api.PUT('/api/v1/cart/items/{product_id}', { params: { path: { product_id: productId } }, body: { quantity } })),
    onSuccess: updated,
  });
}

export function useRemoveCartItem() {
  const updated = useCartUpdated();
  return useMutation<Cart, ApiError, string>({
    mutationFn: (productId) =>
      unwrap(api.DELETE('/api/v1/cart/items/{product_id}', { params: { path: { product_id: productId } } })),
    onSuccess: updated,
  });
}

export function useMe() {
  const { token } = useAuth();
  return useQuery({
    queryKey: keys.me,
    queryFn: () => unwrap(api.GET('/api/v1/me')),
    enabled: !!token,
  });
}

export function useUpdateMe() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (patch: ProfilePatch) => unwrap(api.PATCH('/api/v1/me', { body: patch })),
    onSuccess: (profile) => qc.setQueryData(keys.me, profile),
  });
}

export function useRegister() {
  return useMutation({
    mutationFn: (body: Registration) => unwrap(api.POST('/api/v1/accounts', { body })),
  });
}

export function useSignIn() {
  return useMutation({
    mutationFn: (body: Credentials) => unwrap(api.POST('/api/v1/sessions', { body })),
  });
}

export function useCheckout() {
  const qc = useQueryClient();
  return useMutation<Order, ApiError, { body: CheckoutRequest; idempotencyKey: string }>({
    mutationFn: ({ body, idempotencyKey }) =>
      unwrap(api.POST('/api/v1/orders', { body, params: { header: { 'Idempotency-Key': idempotencyKey } } })),
    onSuccess: (order) => {
      qc.setQueryData(keys.order(order.id), order);
      void qc.invalidateQueries({ queryKey: keys.cart });
      void qc.invalidateQueries({ queryKey: ['storefront'] });
      void qc.invalidateQueries({ queryKey: ['orders'] });
    },
  });
}

export function useOrders(page: number) {
  return useQuery({
    queryKey: keys.orders(page),
    queryFn: () => unwrap(api.GET('/api/v1/orders', { params: { query: { page, page_size: 10 } } })),
    placeholderData: keepPreviousData,
    staleTime: 5_000,
  });
}

/** A change of an order's status (cancel, fulfil): the answer replaces the cached order. */
function useOrderTransition(send: (id: string) => Promise<Order>) {
  const qc = useQueryClient();
  return useMutation<Order, ApiError, string>({
    mutationFn: send,
    onSuccess: (order) => {
      qc.setQueryData(keys.order(order.id), order);
      void qc.invalidateQueries({ queryKey: ['orders'] });
      void qc.invalidateQueries({ queryKey: keys.unread });
    },
  });
}

export function useCancelOrder() {
  return useOrderTransition((id) => unwrap(api.POST('/api/v1/orders/{id}/cancel', { params: { path: { id } } })));
}

/** Admin: marks a paid order fulfilled. */
export function useFulfilOrder() {
  return useOrderTransition((id) => unwrap(api.POST('/api/v1/orders/{id}/fulfil', { params: { path: { id } } })));
}

export function useNotifications(page: number) {
  return useQuery({
    queryKey: keys.notifications(page),
    queryFn: () => unwrap(api.GET('/api/v1/notifications', { params: { query: { page, page_size: 20 } } })),
    placeholderData: keepPreviousData,
    staleTime: 5_000,
  });
}

/** The unread count for the header badge; polls gently while signed in. */
export function useUnreadCount() {
  const { token } = useAuth();
  return useQuery({
    queryKey: keys.unread,
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/notifications', { params: { query: { unread: 'true', page_size: 1 } } }))).unread,
    enabled: !!token,
    staleTime: 2_000,
    refetchInterval: 5_000,
  });
}

export function useMarkRead() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/notifications/{id}/read', { params: { path: { id } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['notifications'] });
      void qc.invalidateQueries({ queryKey: keys.unread });
      void qc.invalidateQueries({ queryKey: ['storefront'] });
    },
  });
}

export function useHealth() {
  return useQuery({
    queryKey: keys.health,
    queryFn: () => unwrap(api.GET('/api/v1/health')),
    refetchInterval: 2_000,
    staleTime: 0,
    retry: false,
  });
}

/** Telemetry's view of every service with live health probes, refreshed every 2 s. */
export function useOpsOverview() {
  return useQuery({
    queryKey: keys.opsOverview,
    queryFn: () => unwrap(api.GET('/api/v1/ops/overview')),
    refetchInterval: 2_000,
    staleTime: 0,
    retry: false,
  });
}

/** Active and recently resolved alerts, refreshed every 2 s. */
export function useAlerts() {
  return useQuery({
    queryKey: keys.alerts,
    queryFn: () => unwrap(api.GET('/api/v1/ops/alerts')),
    refetchInterval: 2_000,
    staleTime: 0,
    retry: false,
  });
}

export function useAlertRules() {
  return useQuery({
    queryKey: keys.alertRules,
    queryFn: () => unwrap(api.GET('/api/v1/ops/alert-rules')),
    staleTime: 30_000,
  });
}

export function useUpdateAlertRule() {
  const qc = useQueryClient();
  return useMutation<AlertRule, ApiError, { id: string; change: AlertRuleChange }>({
    mutationFn: ({ id, change }) =>
      unwrap(api.PUT('/api/v1/ops/alert-rules/{id}', { params: { path: { id } }, body: change })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.alertRules }),
  });
}

export function useDeadLetters() {
  return useQuery({
    queryKey: keys.deadLetters,
    queryFn: () => unwrap(api.GET('/api/v1/admin/dead-letters')),
    staleTime: 5_000,
  });
}

export function useReplayDeadLetter() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST('/api/v1/admin/dead-letters/{id}/replay', { params: { path: { id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.deadLetters }),
  });
}

export function useSaveProduct() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, draft }: { id?: string; draft: ProductDraft }) =>
      id
        ? unwrap(api.PUT('/api/v1/products/{id}', { params: { path: { id } }, body: draft }))
        : unwrap(api.POST('/api/v1/products', { body: draft })),
    onSuccess: (product) => {
      qc.setQueryData(keys.product(product.id), product);
      void qc.invalidateQueries({ queryKey: ['public', 'products'] });
      void qc.invalidateQueries({ queryKey: ['storefront'] });
    },
  });
}

export function useDeleteProduct() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/products/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['public', 'products'] });
      void qc.invalidateQueries({ queryKey: ['storefront'] });
    },
  });
}
