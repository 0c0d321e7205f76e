import type { Alert, AlertRule, Cart, Category, DeadLetterItem, Notification, Order, Product, Profile } from '../api/types';

/** An in-memory shop for MSW: used by unit tests and by `npm run dev:mock`. */
export interface MockUser {
  profile: Profile;
  password: string;
}

export interface MockOrder {
  order: Order;
  cardToken: string;
  /** Reads of GET /orders/{id} left before the payment settles. */
  pollsLeft: number;
}

export interface Db {
  categories: Category[];
  products: Product[];
  users: MockUser[];
  carts: Map<string, { product_id: string; quantity: number }[]>;
  orders: MockOrder[];
  notifications: (Notification & { user_id: string })[];
  deadLetters: DeadLetterItem[];
  alerts: Alert[];
  alertRules: AlertRule[];
  /** Parts of the storefront to report as unavailable. */
  storefrontUnavailable: string[];
  /** How many reads a new order stays pending for. */
  pendingPolls: number;
}

const NOW = '2025-01-01T12:00:00.000Z';
let seq = 0;

export function uuid(): string {
  seq += 1;
  const hex = seq.toString(16).padStart(12, '0');
  const head = ((seq * 2654435761) >>> 0).toString(16).padStart(8, '0');
  return `${head}-0000-4000-8000-${hex}`;
}

const CATEGORIES: [string, string, string][] = [
  ['kitchen', 'Kitchen', 'Mugs, pans and things for cooking'],
  ['office', 'Office', 'Desks, pens and paper'],
  ['outdoors', 'Outdoors', 'For walks and weekends'],
];

const PRODUCT_NAMES: [string, string, number][] = [
  ['Ceramic Mug', 'kitchen', 1299],
  ['Cast Iron Pan', 'kitchen', 4599],
  ['Chef Knife', 'kitchen', 3999],
  ['Tea Kettle', 'kitchen', 2999],
  ['Wooden Spoon Set', 'kitchen', 899],
  ['Espresso Cups', 'kitchen', 1899],
  ['Notebook A5', 'office', 699],
  ['Fountain Pen', 'office', 2499],
  ['Desk Lamp', 'office', 3499],
  ['Stapler', 'office', 1099],
  ['Monitor Stand', 'office', 4999],
  ['Sticky Notes', 'office', 399],
  ['Trail Backpack', 'outdoors', 7999],
  ['Water Bottle', 'outdoors', 1999],
  ['Camping Stool', 'outdoors', 2599],
  ['Headlamp', 'outdoors', 2199],
];

export function makeProduct(name: string, category: string, amount: number, i: number): Product {
  const id = uuid();
  return {
    id,
    sku: `${name.replace(/[^A-Za-z]/g, '').slice(0, 5).toUpperCase()}-${String(i + 1).padStart(3, '0')}`,
    name,
    description: `A very good ${name.toLowerCase()}.`,
    category,
    price: { amount, currency: 'USD' },
    stock: i === 5 ? 0 : 25 + i,
    image_url: `/api/v1/images/${id}.svg`,
    created_at: new Date(Date.parse(NOW) + i * 60_000).toISOString(),
    updated_at: NOW,
  };
}

export function createDb(): Db {
  seq = 0;
  const products = PRODUCT_NAMES.map(([n, c, a], i) => makeProduct(n, c, a, i));
  const categories = CATEGORIES.map(([slug, name, description]) => ({ slug, name, description, product_count: products.filter((p) => p.category === slug).length }));
  const admin: MockUser = {
    password: 'admin-password',
    profile: { id: uuid(), email: 'admin@wasmart.local', name: 'Admin', role: 'admin', shipping_address: null, created_at: NOW, updated_at: NOW },
  };
  const ada: MockUser = {
    password: 'correct-horse',
    profile: {
      id: uuid(),
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      role: 'customer',
      shipping_address: { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postal_code: 'SW1Y 4JH', country: 'GB' },
      created_at: NOW,
      updated_at: NOW,
    },
  };
  return {
    categories,
    products,
    users: [admin, ada],
    carts: new Map(),
    orders: [],
    notifications: [],
    deadLetters: [
      {
        id: 'notifications:7d1c0c9e-1111-4a4a-9b9b-000000000001',
        service: 'notifications',
        kind: 'dead_letter',
        event_id: '7d1c0c9e-1111-4a4a-9b9b-000000000001',
        event_type: 'PaymentSucceeded',
        attempts: 5,
        last_error: 'order not found',
        producer: 'payments',
        first_seen_at: Date.parse(NOW),
        failed_at: Date.parse(NOW) + 5000,
        message: {},
      },
    ],
    alerts: [],
    alertRules: [
      { id: 'payment-failure-rate', name: 'Payment failure rate', kind: 'payment_failure_rate', unit: 'percent', threshold: 50, min_count: 5, enabled: true, updated_at: null },
      { id: 'request-latency-p99', name: 'Request latency p99', kind: 'request_latency_p99', unit: 'ms', threshold: 1000, min_count: 20, enabled: true, updated_at: null },
    ],
    storefrontUnavailable: [],
    pendingPolls: 2,
  };
}

export const db: Db = createDb();

/** Puts the shared db back to its seed (tests call this between cases). */
export function resetDb(overrides: Partial<Db> = {}): Db {
  Object.assign(db, createDb(), overrides);
  return db;
}

export function cartFor(userId: string): Cart {
  const lines = db.carts.get(userId) ?? [];
  const items = lines.map((l) => {
    const p = db.products.find((x) => x.id === l.product_id);
    return p
      ? { product_id: l.product_id, sku: p.sku, name: p.name, unit_price: p.price, quantity: l.quantity, line_total: { amount: p.price.amount * l.quantity, currency: 'USD' }, image_url: p.image_url, available: true }
      : { product_id: l.product_id, sku: null, name: null, unit_price: null, quantity: l.quantity, line_total: null, image_url: null, available: false };
  });
  const available = items.filter((i) => i.available);
  return {
    items,
    total: { amount: available.reduce((s, i) => s + (i.line_total?.amount ?? 0), 0), currency: 'USD' },
    item_count: available.reduce((s, i) => s + i.quantity, 0),
  };
}

/** Serialises the db (for `dev:mock`, which keeps it in sessionStorage across reloads). */
export function snapshotDb(): string {
  return JSON.stringify({ ...db, carts: [...db.carts], seq });
}

export function restoreDb(json: string): void {
  const saved = JSON.parse(json) as Omit<Db, 'carts'> & { carts: [string, { product_id: string; quantity: number }[]][]; seq: number };
  const { carts, seq: savedSeq, ...rest } = saved;
  Object.assign(db, rest, { carts: new Map(carts) });
  seq = savedSeq;
}
