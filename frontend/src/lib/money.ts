import type { Money } from '../api/types';

const formatters = new Map<string, Intl.NumberFormat>();

function formatter(currency: string, locale?: string): Intl.NumberFormat {
  const key = `${locale ?? ''}|${currency}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, { style: 'currency', currency });
    formatters.set(key, f);
  }
  return f;
}

/** The browser's locale (navigator.languages first), falling back to the runtime default. */
export function browserLocale(): string | undefined {
  if (typeof navigator === 'undefined') return undefined;
  return navigator.languages?.[0] ?? navigator.language ?? undefined;
}

/** Formats integer minor units, e.g. {amount: 1999, currency: 'USD'} → "$19.99" in en-US. */
export function formatMoney(money: Money | null | undefined, locale: string | undefined = browserLocale()): string {
  if (!money) return '—';
  const f = formatter(money.currency, locale);
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(money.amount / 10 ** digits);
}

/** "12.50" (major units typed by a person) → 1250 minor units; null when not a valid amount. */
export function parseMajorUnits(text: string, digits = 2): number | null {
  const t = text.trim();
  if (t === '') return null;
  if (!/^\d+(\.\d+)?$/.test(t)) return null;
  const [whole, frac = ''] = t.split('.');
  if (frac.length > digits) return null;
  return Number(whole) * 10 ** digits + Number(frac.padEnd(digits, '0') || '0');
}

/** 1250 → "12.50" for an input field. */
export function toMajorUnits(amount: number, digits = 2): string {
  return (amount / 10 ** digits).toFixed(digits);
}
