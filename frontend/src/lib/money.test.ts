import { formatMoney, parseMajorUnits, toMajorUnits } from './money';

describe('formatMoney', () => {
  it('formats integer minor units as currency for a locale', () => {
    expect(formatMoney({ amount: 1999, currency: 'USD' }, 'en-US')).toBe('$19.99');
    expect(formatMoney({ amount: 0, currency: 'USD' }, 'en-US')).toBe('$0.00');
    expect(formatMoney({ amount: 123456789, currency: 'USD' }, 'en-US')).toBe('$1,234,567.89');
  });

  it('follows the locale conventions', () => {
    // de-DE: decimal comma, symbol after, non-breaking space.
    expect(formatMoney({ amount: 1999, currency: 'USD' }, 'de-DE').replace(/\s/g, ' ')).toBe('19,99 $');
    expect(formatMoney({ amount: 250000, currency: 'USD' }, 'en-IN')).toBe('$2,500.00');
  });

  it('uses the minor units of the currency', () => {
    expect(formatMoney({ amount: 1999, currency: 'JPY' }, 'en-US')).toBe('¥1,999');
  });

  it('uses the browser locale by default and a dash for nothing', () => {
    expect(formatMoney({ amount: 500, currency: 'USD' })).toMatch(/5/);
    expect(formatMoney(null)).toBe('—');
  });
});

describe('parseMajorUnits / toMajorUnits', () => {
  it('round-trips typed amounts', () => {
    expect(parseMajorUnits('12.5')).toBe(1250);
    expect(parseMajorUnits('12')).toBe(1200);
    expect(parseMajorUnits(' 0.99 ')).toBe(99);
    expect(toMajorUnits(1250)).toBe('12.50');
  });
  it('rejects what is not an amount', () => {
    expect(parseMajorUnits('')).toBeNull();
    expect(parseMajorUnits('-1')).toBeNull();
    expect(parseMajorUnits('1.999')).toBeNull();
    expect(parseMajorUnits('abc')).toBeNull();
  });
});
