/** Small inline SVG charts for the ops dashboard: no chart library, nothing to download. */

/** The polyline points of `values` scaled into a `width` × `height` box (the largest value at the top). */
export function sparklinePoints(values: number[], width: number, height: number): string {
  if (values.length === 0) return '';
  const max = Math.max(...values, 1);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((v, i) => `${round(i * step)},${round(height - (Math.max(v, 0) / max) * height)}`)
    .join(' ');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** A trend line of `values`, oldest first. */
export function Sparkline({ values, label, width = 120, height = 28 }: { values: number[]; label: string; width?: number; height?: number }) {
  return (
    <svg className="sparkline" role="img" aria-label={label} width={width} height={height} viewBox={`0 0 ${width} ${height}`} data-testid="sparkline">
      <polyline fill="none" stroke="currentColor" strokeWidth="1.5" points={sparklinePoints(values, width, height)} />
    </svg>
  );
}

/** `rate` (0 to 1) as a bar, red at or above `alarm`; a dash when there is no rate. */
export function RateBar({ rate, label, alarm = 0.05 }: { rate: number | null | undefined; label: string; alarm?: number }) {
  if (rate === null || rate === undefined) return <span className="muted">–</span>;
  const percent = Math.min(Math.max(rate, 0), 1) * 100;
  return (
    <span className="rate-bar" data-alarm={rate >= alarm ? 'true' : 'false'}>
      <svg role="img" aria-label={`${label}: ${percent.toFixed(1)}%`} width="60" height="8" viewBox="0 0 100 8">
        <rect width="100" height="8" rx="2" className="rate-bar-track" />
        <rect width={percent} height="8" rx="2" className="rate-bar-fill" />
      </svg>{' '}
      {percent.toFixed(percent < 10 && percent > 0 ? 1 : 0)}%
    </span>
  );
}
