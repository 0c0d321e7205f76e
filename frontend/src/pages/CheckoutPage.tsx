import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { useCart, useCheckout, useMe } from '../hooks/api';
import { splitProblem, toProblem } from '../api/problem';
import type { CheckoutAddress } from '../api/types';
import { EmptyState, ErrorBanner, Money, Skeleton, TextField } from '../components/ui';

export const CARD_TOKENS = [
  { token: 'tok_visa', label: 'Test Visa — approves', help: 'The payment is approved and the order becomes paid.' },
  { token: 'tok_chargeDeclined', label: 'Declined card', help: 'The processor declines it: the order ends as payment failed.' },
  { token: 'tok_processingError', label: 'Flaky processor', help: 'Fails twice with a transient error, then approves (shows the retries).' },
] as const;

const ADDRESS_FIELDS: { key: keyof CheckoutAddress; label: string; autoComplete: string; required: boolean }[] = [
  { key: 'name', label: 'Full name', autoComplete: 'name', required: true },
  { key: 'line1', label: 'Address line 1', autoComplete: 'address-line1', required: true },
  { key: 'line2', label: 'Address line 2 (optional)', autoComplete: 'address-line2', required: false },
  { key: 'city', label: 'City', autoComplete: 'address-level2', required: true },
  { key: 'postal_code', label: 'Postal code', autoComplete: 'postal-code', required: true },
  { key: 'country', label: 'Country code (e.g. US, GB)', autoComplete: 'country', required: true },
];

export const CHECKOUT_FIELDS = [...ADDRESS_FIELDS.map((f) => `shipping_address.${f.key}`), 'payment.card_token'];

type AddressDraft = Record<keyof CheckoutAddress, string>;
const EMPTY: AddressDraft = { name: '', line1: '', line2: '', city: '', postal_code: '', country: '' };

function newKey(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export function CheckoutPage() {
  const cart = useCart();
  const me = useMe();
  const checkout = useCheckout();
  const navigate = useNavigate();
  const [address, setAddress] = useState<AddressDraft>(EMPTY);
  const [touched, setTouched] = useState(false);
  const [cardToken, setCardToken] = useState<string>('tok_visa');
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  // One key per checkout attempt: a retry after a network failure cannot create a second order.
  const [idempotencyKey, setIdempotencyKey] = useState(newKey);

  // Pre-fill from the saved shipping address, unless the user already typed.
  useEffect(() => {
    const saved = me.data?.shipping_address;
    if (saved && !touched) {
      setAddress({ name: saved.name, line1: saved.line1, line2: saved.line2 ?? '', city: saved.city, postal_code: saved.postal_code, country: saved.country });
    } else if (me.data && !saved && !touched) {
      setAddress((a) => ({ ...a, name: a.name || me.data.name }));
    }
  }, [me.data, touched]);

  const change = (key: keyof CheckoutAddress, value: string) => {
    setTouched(true);
    setAddress((a) => ({ ...a, [key]: value }));
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const errors: Record<string, string> = {};
    for (const f of ADDRESS_FIELDS) {
      if (f.required && !address[f.key].trim()) errors[`shipping_address.${f.key}`] = 'Required';
    }
    if (address.country.trim() && !/^[A-Za-z]{2}$/.test(address.country.trim())) {
      errors['shipping_address.country'] = 'Use the two-letter country code, e.g. US';
    }
    setLocalErrors(errors);
    if (Object.keys(errors).length) return;
    checkout.mutate(
      {
        idempotencyKey,
        body: {
          shipping_address: {
            name: address.name.trim(),
            line1: address.line1.trim(),
            line2: address.line2.trim() || null,
            city: address.city.trim(),
            postal_code: address.postal_code.trim(),
            country: address.country.trim().toUpperCase(),
          },
          payment: { card_token: cardToken },
        },
      },
      {
        onSuccess: (order) => navigate(`/orders/${order.id}`),
        onError: (err) => {
          // A definite refusal (4xx) created nothing: the next attempt is a new checkout with a new key.
          // A lost answer (network, 5xx) keeps the key so that retrying cannot order twice.
          if (err.status >= 400 && err.status < 500) setIdempotencyKey(newKey());
        },
      },
    );
  };

  const problem = checkout.error ? toProblem(checkout.error) : null;
  const { fields, banner } = splitProblem(problem, CHECKOUT_FIELDS);
  const errorFor = (name: string) => localErrors[name] ?? fields[name];

  if (cart.isPending) {
    return (
      <main id="main" className="page" data-testid="page-checkout">
        <h1>Checkout</h1>
        <Skeleton lines={6} />
      </main>
    );
  }
  if (cart.isError) {
    return (
      <main id="main" className="page" data-testid="page-checkout">
        <h1>Checkout</h1>
        <ErrorBanner problem={toProblem(cart.error)} onRetry={() => void cart.refetch()} />
      </main>
    );
  }
  if (cart.data.items.length === 0 && !checkout.isPending && !checkout.isSuccess) {
    return (
      <main id="main" className="page" data-testid="page-checkout">
        <h1>Checkout</h1>
        <EmptyState title="Your cart is empty">
          <Link to="/products">Browse products</Link>
        </EmptyState>
      </main>
    );
  }

  return (
    <main id="main" className="page" data-testid="page-checkout">
      <h1>Checkout</h1>
      <div className="checkout-layout">
        <form onSubmit={onSubmit} noValidate aria-label="Checkout" className="stack">
          {banner ? <ErrorBanner message={banner} problem={problem} /> : null}
          <fieldset>
            <legend>Shipping address</legend>
            {ADDRESS_FIELDS.map((f) => (
              <TextField
                key={f.key}
                label={f.label}
                name={`shipping_address.${f.key}`}
                autoComplete={`shipping ${f.autoComplete}`}
                required={f.required}
                maxLength={f.key === 'country' ? 2 : f.key === 'postal_code' ? 20 : f.key.startsWith('line') ? 200 : 100}
                value={address[f.key]}
                onChange={(e) => change(f.key, e.target.value)}
                error={errorFor(`shipping_address.${f.key}`)}
              />
            ))}
          </fieldset>
          <fieldset aria-describedby="card-help">
            <legend>Payment (test cards)</legend>
            <p id="card-help" className="muted">
              This shop never sees card numbers: the card processor gives it a token. Pick a test token to see each outcome.
            </p>
            {CARD_TOKENS.map((c) => (
              <div key={c.token} className="radio">
                <input
                  type="radio"
                  id={`card-${c.token}`}
                  name="payment.card_token"
                  value={c.token}
                  checked={cardToken === c.token}
                  onChange={() => setCardToken(c.token)}
                  aria-describedby={`card-${c.token}-help`}
                />
                <label htmlFor={`card-${c.token}`}>
                  {c.label} <code>{c.token}</code>
                </label>
                <small id={`card-${c.token}-help`} className="hint">
                  {c.help}
                </small>
              </div>
            ))}
            {errorFor('payment.card_token') ? (
              <small className="field-error" data-field-error="payment.card_token">
                {errorFor('payment.card_token')}
              </small>
            ) : null}
          </fieldset>
          <button type="submit" className="btn btn-primary btn-large" disabled={checkout.isPending}>
            {checkout.isPending ? (
              'Placing order…'
            ) : (
              <>
                Place order · <Money value={cart.data.total} />
              </>
            )}
          </button>
        </form>
        <aside className="card order-summary" aria-label="Order summary">
          <h2>Summary</h2>
          <ul>
            {cart.data.items.map((i) => (
              <li key={i.product_id}>
                {i.quantity} × {i.name ?? 'Unavailable product'} <Money value={i.line_total} />
              </li>
            ))}
          </ul>
          <p>
            <strong>Total</strong> <Money value={cart.data.total} />
          </p>
        </aside>
      </div>
    </main>
  );
}
