import { http, HttpResponse, delay, type DefaultBodyType } from 'msw';
import type {
  Account,
  AlertList,
  AlertRule,
  AlertRuleChange,
  Cart,
  Category,
  CheckoutRequest,
  Credentials,
  DeadLetterList,
  Health,
  Notification,
  NotificationList,
  OpsOverview,
  Order,
  OrderList,
  Problem,
  Product,
  ProductDraft,
  ProductList,
  Profile,
  ProfilePatch,
  QuantityChangeBody,
  Registration,
  ReplayResult,
  Session,
  Storefront,
} from './types';
import { cartFor, db, makeProduct, uuid } from './db';

const BASE = '/api/v1';

export function problem(status: number, slug: string, detail: string, errors?: { field: string; message: string }[]): HttpResponse<Problem> {
  const body: Problem = { type: `https://wasmart.dev/problems/${slug}`, title: slug.replace(/-/g, ' '), status, detail, ...(errors ? { errors } : {}), request_id: `mock-${Date.now()}` };
  return HttpResponse.json<Problem>(body, { status, headers: { 'Content-Type': 'application/problem+json' } });
}

function userFrom(request: Request) {
  const auth = request.headers.get('Authorization') ?? '';
  const m = /^Bearer mock\.(.+)$/.exec(auth);
  if (!m) return null;
  return db.users.find((u) => u.profile.id === m[1]) ?? null;
}

type Auth = NonNullable<ReturnType<typeof userFrom>>;

function requireUser(request: Request): Auth | HttpResponse<Problem> {
  const u = userFrom(request);
  return u ?? problem(401, 'unauthorized', 'A valid bearer token is required.');
}

function account(p: Profile): Account {
  return { id: p.id, email: p.email, name: p.name, role: p.role, created_at: p.created_at };
}

function listProducts(url: URL): ProductList | HttpResponse<Problem> {
  const q = (url.searchParams.get('q') ?? '').toLowerCase();
  const category = url.searchParams.get('category');
  const min = url.searchParams.get('min_price');
  const max = url.searchParams.get('max_price');
  const sort = url.searchParams.get('sort') ?? (q ? 'relevance' : 'name');
  const page = Number(url.searchParams.get('page') ?? '1');
  const pageSize = Number(url.searchParams.get('page_size') ?? '20');
  const errors: { field: string; message: string }[] = [];
  if (min !== null && !/^\d+$/.test(min)) errors.push({ field: 'min_price', message: 'must be a whole number of cents' });
  if (max !== null && !/^\d+$/.test(max)) errors.push({ field: 'max_price', message: 'must be a whole number of cents' });
  if (min !== null && max !== null && Number(min) > Number(max)) errors.push({ field: 'min_price', message: 'must not exceed max_price' });
  if (!['relevance', 'price_asc', 'price_desc', 'name', 'newest'].includes(sort)) errors.push({ field: 'sort', message: 'unknown sort' });
  if (errors.length) return problem(400, 'validation', 'Some query parameters are invalid.', errors);
  let items = db.products.filter(
    (p) =>
      (!q || p.name.toLowerCase().includes(q) || p.description.toLowerCase().includes(q)) &&
      (!category || p.category === category) &&
      (min === null || p.price.amount >= Number(min)) &&
      (max === null || p.price.amount <= Number(max)),
  );
  const by: Record<string, (a: Product, b: Product) => number> = {
    relevance: (a, b) => a.name.localeCompare(b.name),
    name: (a, b) => a.name.localeCompare(b.name),
    price_asc: (a, b) => a.price.amount - b.price.amount,
    price_desc: (a, b) => b.price.amount - a.price.amount,
    newest: (a, b) => b.created_at.localeCompare(a.created_at),
  };
  items = [...items].sort(by[sort]);
  return { items: items.slice((page - 1) * pageSize, page * pageSize), page, page_size: pageSize, total: items.length };
}

function notify(userId: string, orderId: string, kind: Notification['kind'], title: string, body: string) {
  db.notifications.unshift({ id: uuid(), user_id: userId, kind, order_id: orderId, title, body, created_at: new Date().toISOString(), read_at: null });
}

/** Moves a pending order on once it has been read `pendingPolls` times. */
function advance(o: (typeof db.orders)[number]) {
  if (o.order.status !== 'pending_payment') return;
  if (o.pollsLeft > 0) {
    o.pollsLeft -= 1;
    return;
  }
  const at = new Date().toISOString();
  const declined = o.cardToken.trim() === 'tok_chargeDeclined';
  o.order = { ...o.order, status: declined ? 'payment_failed' : 'paid', updated_at: at, status_history: [...o.order.status_history, { status: declined ? 'payment_failed' : 'paid', at }] };
  if (declined) notify(o.order.user_id, o.order.id, 'payment_failed', 'Payment failed', 'Your card was declined.');
  else notify(o.order.user_id, o.order.id, 'payment_received', 'Payment received', 'Thank you: your order is paid.');
}

function svg(name: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 180"><rect width="240" height="180" fill="#e0e7ff"/><text x="120" y="95" font-size="16" text-anchor="middle" fill="#1e3a8a">${name.replace(/[<&>]/g, '')}</text></svg>`;
}

const ORDER_FIELDS = ['name', 'line1', 'city', 'postal_code', 'country'] as const;

export const handlers = [
  http.get<never, never, Health>(`${BASE}/health`, () =>
    HttpResponse.json({
      status: 'up',
      services: (['gateway', 'catalog', 'accounts', 'cart', 'orders', 'payments', 'notifications', 'telemetry', 'alerts'] as const).map((name, i) => ({ name, status: 'up' as const, latency_ms: 2 + ((i * 7 + Date.now()) % 11), circuit: 'closed' as const })),
    }),
  ),

  http.get<never, never, Storefront | Problem>(`${BASE}/storefront`, ({ request }) => {
    const u = userFrom(request);
    if (!u && request.headers.has('Authorization')) return problem(401, 'unauthorized', 'Invalid token.');
    const off = new Set(db.storefrontUnavailable);
    const featured = listProducts(new URL('http://x/?page_size=8')) as ProductList;
    const cart = u ? cartFor(u.profile.id) : null;
    return HttpResponse.json({
      featured: off.has('featured') ? null : featured,
      categories: off.has('categories') ? null : db.categories,
      cart: !u || off.has('cart') ? null : { item_count: cart!.item_count, subtotal: cart!.total },
      unread_notifications: !u || off.has('notifications') ? null : db.notifications.filter((n) => n.user_id === u.profile.id && !n.read_at).length,
      signed_in: !!u,
      unavailable: [...off],
    });
  }),

  http.get<never, never, Category[]>(`${BASE}/categories`, () => HttpResponse.json(db.categories)),

  http.get<never, never, ProductList | Problem>(`${BASE}/products`, ({ request }) => {
    const r = listProducts(new URL(request.url));
    return r instanceof Response ? r : HttpResponse.json(r);
  }),

  http.get<{ id: string }, never, Product | Problem>(`${BASE}/products/:id`, ({ params }) => {
    const p = db.products.find((x) => x.id === params.id);
    return p ? HttpResponse.json(p) : problem(404, 'not-found', 'No such product.');
  }),

  http.post<never, ProductDraft, Product | Problem>(`${BASE}/products`, async ({ request }) => {
    const u = requireUser(request);
    if (u instanceof Response) return u;
    if (u.profile.role !== 'admin') return problem(403, 'forbidden', 'Admins only.');
    const d = await request.json();
    if (!/^[A-Z0-9-]{3,32}$/.test(d.sku)) return problem(400, 'validation', 'Some fields are invalid.', [{ field: 'sku', message: 'must be 3 to 32 of A-Z, 0-9 and -' }]);
    if (db.products.some((p) => p.sku === d.sku)) return problem(409, 'duplicate-sku', `Another product has sku ${d.sku}.`);
    const p = { ...makeProduct(d.name, d.category, d.price.amount, db.products.length), sku: d.sku, description: d.description, stock: d.stock };
    db.products.push(p);
    return HttpResponse.json(p, { status: 201 });
  }),

  http.put<{ id: string }, ProductDraft, Product | Problem>(`${BASE}/products/:id`, async ({ request, params }) => {
    const u = requireUser(request);
    if (u instanceof Response) return u;
    if (u.profile.role !== 'admin') return problem(403, 'forbidden', 'Admins only.');
    const i = db.products.findIndex((x) => x.id === params.id);
    if (i < 0) return problem(404, 'not-found', 'No such product.');
    const d = await request.json();
    const p = { ...db.products[i]!, ...d, updated_at: new Date().toISOString() };
    db.products[i] = p;
    return HttpResponse.json(p);
  }),

  http.delete<{ id: string }>(`${BASE}/products/:id`, ({ request, params }) => {
    const u = requireUser(request);
    if (u instanceof Response) return u;
    if (u.profile.role !== 'admin') return problem(403, 'forbidden', 'Admins only.');
    const before = db.products.length;
    db.products = db.products.filter((x) => x.id !== params.id);
    return db.products.length < before ? new HttpResponse(null, { status: 204 }) : problem(404, 'not-found', 'No such product.');
  }),

  http.get<{ file: string }>(`${BASE}/images/:file`, ({ params }) => {
    const id = String(params.file).replace(/\.svg$/, '');
    const p = db.products.find((x) => x.id === id);
    return new HttpResponse(svg(p?.name ?? 'Wasmart'), { headers: { 'Content-Type': 'image/svg+xml' } });
  }),

  http.post<never, Registration, Account | Problem>(`${BASE}/accounts`, async ({ request }) => {
    const r = await request.json();
    const errors: { field: string; message: string }[] = [];
    if (!r.name?.trim()) errors.push({ field: 'name', message: 'must be 1 to 100 characters' });
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(r.email ?? '')) errors.push({ field: 'email', message: 'is not a valid email address' });
    if ((r.password ?? '').length < 10) errors.push({ field: 'password', message: 'must be at least 10 characters' });
    if (errors.length) return problem(400, 'validation', 'Some fields are invalid.', errors);
    const email = r.email.trim().toLowerCase();
    if (db.users.some((u) => u.profile.email === email)) return problem(409, 'email-taken', 'An account with this email exists.');
    const now = new Date().toISOString();
    const profile: Profile = { id: uuid(), email, name: r.name.trim(), role: 'customer', shipping_address: null, created_at: now, updated_at: now };
    db.users.push({ profile, password: r.password });
    return HttpResponse.json(account(profile), { status: 201 });
  }),

  http.post<never, Credentials, Session | Problem>(`${BASE}/sessions`, async ({ request }) => {
    const c = await request.json();
    const u = db.users.find((x) => x.profile.email === c.email.trim().toLowerCase() && x.password === c.password);
    if (!u) return problem(401, 'unauthorized', 'Wrong email or password.');
    return HttpResponse.json({ token: `mock.${u.profile.id}`, token_type: 'Bearer', expires_in: 3600, user: account(u.profile) });
  }),

  http.get<never, never, Profile | Problem>(`${BASE}/me`, ({ request }) => {
    const u = requireUser(request);
    return u instanceof Response ? u : HttpResponse.json(u.profile);
  }),

  http.patch<never, ProfilePatch, Profile | Problem>(`${BASE}/me`, async ({ request }) => {
    const u = requireUser(request);
    if (u instanceof Response) return u;
    const patch = await request.json();
    const errors: { field: string; message: string }[] = [];
    if (patch.name !== undefined && patch.name !== null && !patch.name.trim()) errors.push({ field: 'name', message: 'must be 1 to 100 characters' });
    const a = patch.shipping_address;
    if (a) {
      for (const f of ORDER_FIELDS) if (!a[f]?.trim()) errors.push({ field: `shipping_address.${f}`, message: 'is required' });
      if (a.country && !/^[A-Z]{2}$/.test(a.country)) errors.push({ field: 'shipping_address.country', message: 'must be an ISO 3166-1 alpha-2 code' });
    }
    if (errors.length) return problem(400, 'validation', 'Some fields are invalid.', errors);
    const next: Profile = { ...u.profile, updated_at: new Date().toISOString() };
    if (patch.name) next.name = patch.name.trim();
    if (a === null) next.shipping_address = null;
    else if (a) next.shipping_address = { name: a.name, line1: a.line1, ...(a.line2 ? { line2: a.line2 } : {}), city: a.city, postal_code: a.postal_code, country: a.country };
    u.profile = next;
    return HttpResponse.json(next);
  }),

  http.get<never, never, Cart | Problem>(`${BASE}/cart`, ({ request }) => {
    const u = requireUser(request);
    return u instanceof Response ? u : HttpResponse.json(cartFor(u.profile.id));
  }),

  http.put<{ product_id: string }, QuantityChangeBody, Cart | Problem>(`${BASE}/cart/items/:product_id`, async ({ request, params }) => {
    const u = requireUser(request);
    if (u instanceof Response) return u;
    const { quantity } = await request.json();
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > 99) return problem(400, 'validation', 'Invalid quantity.', [{ field: 'quantity', message: 'must be 1 to 99' }]);
    if (!db.products.some((p) => p.id === params.product_id)) return problem(404, 'not-found', 'No such product.');
    const lines = db.carts.get(u.profile.id) ?? [];
    const line = lines.find((l) => l.product_id === params.product_id);
    if (line) line.quantity = quantity;
    else lines.push({ product_id: params.product_id, quantity });
    db.carts.set(u.profile.id, lines);
    return HttpResponse.json(cartFor(u.profile.id));
  }),

  http.delete<{ product_id: string }, never, Cart | Problem>(`${BASE}/cart/items/:product_id`, ({ request, params }) => {
    const u = requireUser(request);
    if (u instanceof Response) return u;
    const lines = db.carts.get(u.profile.id) ?? [];
    if (!lines.some((l) => l.product_id === params.product_id)) return problem(404, 'not-found', 'Not in the cart.');
    db.carts.set(u.profile.id, lines.filter((l) => l.product_id !== params.product_id));
    return HttpResponse.json(cartFor(u.profile.id));
  }),

  http.post<never, CheckoutRequest, Order | Problem>(`${BASE}/orders`, async ({ request }) => {
    const u = requireUser(request);
    if (u instanceof Response) return u;
    const body = await request.json();
    const a = body.shipping_address;
    const errors: { field: string; message: string }[] = [];
    for (const f of ORDER_FIELDS) if (!a?.[f]?.trim()) errors.push({ field: `shipping_address.${f}`, message: 'is required' });
    if (a?.country && !/^[A-Z]{2}$/.test(a.country)) errors.push({ field: 'shipping_address.country', message: 'must be an ISO 3166-1 alpha-2 code' });
    if (!/^\s*tok_[A-Za-z0-9_]{1,60}\s*$/.test(body.payment?.card_token ?? '')) errors.push({ field: 'payment.card_token', message: 'must be a card token' });
    if (errors.length) return problem(400, 'validation', 'Some fields are invalid.', errors);
    const cart = cartFor(u.profile.id);
    if (cart.items.length === 0) return problem(409, 'cart-empty', 'The cart is empty.');
    const now = new Date().toISOString();
    const order: Order = {
      id: uuid(),
      user_id: u.profile.id,
      status: 'pending_payment',
      lines: cart.items.map((i) => ({ product_id: i.product_id, sku: i.sku ?? '', name: i.name ?? '', quantity: i.quantity, unit_price: i.unit_price!, line_total: i.line_total! })),
      total: cart.total,
      shipping_address: { name: a.name, line1: a.line1, ...(a.line2 ? { line2: a.line2 } : {}), city: a.city, postal_code: a.postal_code, country: a.country },
      cancel_reason: null,
      status_history: [{ status: 'pending_payment', at: now }],
      created_at: now,
      updated_at: now,
    };
    db.orders.unshift({ order, cardToken: body.payment.card_token, pollsLeft: db.pendingPolls });
    db.carts.set(u.profile.id, []);
    notify(u.profile.id, order.id, 'order_confirmed', 'Order received', 'We have your order and are taking the payment.');
    return HttpResponse.json(order, { status: 201 });
  }),

  http.get<never, never, OrderList | Problem>(`${BASE}/orders`, ({ request }) => {
    const u = requireUser(request);
    if (u instanceof Response) return u;
    const url = new URL(request.url);
    const page = Number(url.searchParams.get('page') ?? '1');
    const size = Number(url.searchParams.get('page_size') ?? '20');
    const mine = db.orders.filter((o) => u.profile.role === 'admin' || o.order.user_id === u.profile.id).map((o) => o.order);
    return HttpResponse.json({ items: mine.slice((page - 1) * size, page * size), page, page_size: size, total: mine.length });
  }),

  http.get<{ id: string }, never, Order | Problem>(`${BASE}/orders/:id`, ({ request, params }) => {
    const u = requireUser(request);
    if (u instanceof Response) return u;
    const o = db.orders.find((x) => x.order.id === params.id && (x.order.user_id === u.profile.id || u.profile.role === 'admin'));
    if (!o) return problem(404, 'not-found', 'No such order.');
    advance(o);
    return HttpResponse.json(o.order);
  }),

  http.post<{ id: string }, never, Order | Problem>(`${BASE}/orders/:id/cancel`, ({ request, params }) => {
    const u = requireUser(request);
    if (u instanceof Response) return u;
    const o = db.orders.find((x) => x.order.id === params.id && x.order.user_id === u.profile.id);
    if (!o) return problem(404, 'not-found', 'No such order.');
    if (o.order.status !== 'pending_payment') return problem(409, 'illegal-transition', `A ${o.order.status} order cannot be cancelled.`);
    const at = new Date().toISOString();
    o.order = { ...o.order, status: 'cancelled', cancel_reason: 'customer', updated_at: at, status_history: [...o.order.status_history, { status: 'cancelled', at }] };
    notify(u.profile.id, o.order.id, 'order_cancelled', 'Order cancelled', 'You cancelled your order.');
    return HttpResponse.json(o.order);
  }),

  http.post<{ id: string }, never, Order | Problem>(`${BASE}/orders/:id/fulfil`, ({ request, params }) => {
    const u = requireUser(request);
    if (u instanceof Response) return u;
    if (u.profile.role !== 'admin') return problem(403, 'forbidden', 'This resource requires the admin role.');
    const o = db.orders.find((x) => x.order.id === params.id);
    if (!o) return problem(404, 'not-found', 'No such order.');
    if (o.order.status !== 'paid') return problem(409, 'illegal-transition', `A ${o.order.status} order cannot be fulfilled.`);
    const at = new Date().toISOString();
    o.order = { ...o.order, status: 'fulfilled', updated_at: at, status_history: [...o.order.status_history, { status: 'fulfilled', at }] };
    return HttpResponse.json(o.order);
  }),

  http.get<never, never, NotificationList | Problem>(`${BASE}/notifications`, ({ request }) => {
    const u = requireUser(request);
    if (u instanceof Response) return u;
    const url = new URL(request.url);
    const page = Number(url.searchParams.get('page') ?? '1');
    const size = Number(url.searchParams.get('page_size') ?? '20');
    const mine = db.notifications.filter((n) => n.user_id === u.profile.id);
    const unread = mine.filter((n) => !n.read_at);
    const list = url.searchParams.get('unread') === 'true' ? unread : mine;
    return HttpResponse.json({ items: list.slice((page - 1) * size, page * size).map(({ user_id: _u, ...n }) => n), page, page_size: size, total: list.length, unread: unread.length });
  }),

  http.post<{ id: string }, never, Notification | Problem>(`${BASE}/notifications/:id/read`, ({ request, params }) => {
    const u = requireUser(request);
    if (u instanceof Response) return u;
    const n = db.notifications.find((x) => x.id === params.id && x.user_id === u.profile.id);
    if (!n) return problem(404, 'not-found', 'No such notification.');
    n.read_at ??= new Date().toISOString();
    const { user_id: _u, ...rest } = n;
    return HttpResponse.json(rest);
  }),

  http.get<never, never, DeadLetterList | Problem>(`${BASE}/admin/dead-letters`, ({ request }) => {
    const u = requireUser(request);
    if (u instanceof Response) return u;
    if (u.profile.role !== 'admin') return problem(403, 'forbidden', 'Admins only.');
    return HttpResponse.json({ items: db.deadLetters, unavailable: [] });
  }),

  http.post<{ id: string }, never, ReplayResult | Problem>(`${BASE}/admin/dead-letters/:id/replay`, ({ request, params }) => {
    const u = requireUser(request);
    if (u instanceof Response) return u;
    if (u.profile.role !== 'admin') return problem(403, 'forbidden', 'Admins only.');
    const d = db.deadLetters.find((x) => x.id === params.id);
    if (!d) return problem(404, 'not-found', 'No such dead letter.');
    db.deadLetters = db.deadLetters.filter((x) => x !== d);
    return HttpResponse.json({ event_id: d.event_id, outcome: d.kind === 'dead_letter' ? 'Processed' : 'Requeued' });
  }),

  http.get<never, never, OpsOverview | Problem>(`${BASE}/ops/overview`, ({ request }) => {
    const u = requireAdmin(request);
    if (u instanceof Response) return u;
    const series = [0, 1, 3, 2, 5, 4, 6, 3, 2, 4, 5, 7];
    return HttpResponse.json({
      window_seconds: 300,
      generated_at: new Date().toISOString(),
      payments: { succeeded: 18, failed: 2, failure_rate: 0.1, processor_failure_bursts: 0 },
      services: [
        {
          name: 'payments',
          health: { name: 'payments', status: 'up', latency_ms: 3, circuit: 'closed' },
          events: { count: 20, per_minute: 4, failures: 2, failure_rate: 0.1, lag_ms_avg: 12, lag_ms_max: 40, last_event_at: new Date().toISOString(), silent_seconds: 3, series },
          requests: { count: 40, per_minute: 8, errors: 0, error_rate: 0, p50_ms: 5, p99_ms: 50 },
          dead_letters: 0,
        },
      ],
      unavailable: [],
    });
  }),

  http.get<never, never, AlertList | Problem>(`${BASE}/ops/alerts`, ({ request }) => {
    const u = requireAdmin(request);
    if (u instanceof Response) return u;
    return HttpResponse.json({ active: db.alerts.filter((a) => a.status === 'active'), recent: db.alerts.filter((a) => a.status === 'resolved') });
  }),

  http.get<never, never, { items: AlertRule[] } | Problem>(`${BASE}/ops/alert-rules`, ({ request }) => {
    const u = requireAdmin(request);
    if (u instanceof Response) return u;
    return HttpResponse.json({ items: db.alertRules });
  }),

  http.put<{ id: string }, AlertRuleChange, AlertRule | Problem>(`${BASE}/ops/alert-rules/:id`, async ({ request, params }) => {
    const u = requireAdmin(request);
    if (u instanceof Response) return u;
    const rule = db.alertRules.find((r) => r.id === params.id);
    if (!rule) return problem(404, 'not-found', `There is no rule ${params.id}.`);
    const change = await request.json();
    const errors = [];
    if (!(change.threshold >= 0) || (rule.unit === 'percent' && change.threshold > 100)) errors.push({ field: 'threshold', message: 'must be a number from 0 to 100 (percent)' });
    if (!(change.min_count >= 1)) errors.push({ field: 'min_count', message: 'must be an integer from 1 to 1000000' });
    if (errors.length) return problem(400, 'validation', 'Some fields are invalid.', errors);
    Object.assign(rule, change, { updated_at: new Date().toISOString() });
    return HttpResponse.json(rule);
  }),
];

function requireAdmin(request: Request) {
  const u = requireUser(request);
  if (u instanceof Response) return u;
  if (u.profile.role !== 'admin') return problem(403, 'forbidden', 'This resource requires the admin role.');
  return u;
}


/** Handlers for `npm run dev:mock`: the same, with a little latency so skeletons show. */
export const browserHandlers = [
  http.all(`${BASE}/*`, async () => {
    await delay(150);
  }),
  ...handlers,
];

export type { DefaultBodyType };
