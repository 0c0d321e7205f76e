import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react';
import { Link } from 'react-router';
import type { Money as MoneyT, OrderStatus, Problem } from '../api/types';
import { formatMoney } from '../lib/money';

export function Money({ value }: { value: MoneyT | null | undefined }) {
  return <span className="money">{formatMoney(value)}</span>;
}

/** A banner for a problem's detail (or any message); announced to screen readers. */
export function ErrorBanner({ message, problem, onRetry }: { message?: string | null; problem?: Problem | null; onRetry?: () => void }) {
  const text = message ?? problem?.detail ?? problem?.title;
  if (!text) return null;
  return (
    <div className="banner banner-error" role="alert" data-testid="error-banner">
      <span>{text}</span>
      {problem?.request_id ? <small className="muted"> (request {problem.request_id})</small> : null}
      {onRetry ? (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function InfoBanner({ children }: { children: ReactNode }) {
  return (
    <div className="banner banner-info" role="status">
      {children}
    </div>
  );
}

interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  label: string;
  name: string;
  error?: string;
  hint?: ReactNode;
}

/** A labelled input with its error (from problem+json errors[].field) right under it. */
export function TextField({ label, name, error, hint, id, className, ...rest }: FieldProps) {
  const autoId = useId();
  const inputId = id ?? `${autoId}-${name}`;
  const errorId = `${inputId}-error`;
  const hintId = `${inputId}-hint`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={inputId}>{label}</label>
      <input id={inputId} name={name} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...rest} />
      {hint ? (
        <small id={hintId} className="hint">
          {hint}
        </small>
      ) : null}
      {error ? (
        <small id={errorId} className="field-error" data-field-error={name}>
          {error}
        </small>
      ) : null}
    </div>
  );
}

interface SelectProps extends SelectHTMLAttributes<HTMLSelectElement> {
  label: string;
  name: string;
  error?: string;
  children: ReactNode;
}

export function SelectField({ label, name, error, id, children, ...rest }: SelectProps) {
  const autoId = useId();
  const selectId = id ?? `${autoId}-${name}`;
  const errorId = `${selectId}-error`;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={selectId}>{label}</label>
      <select id={selectId} name={name} aria-invalid={error ? true : undefined} aria-describedby={error ? errorId : undefined} {...rest}>
        {children}
      </select>
      {error ? (
        <small id={errorId} className="field-error" data-field-error={name}>
          {error}
        </small>
      ) : null}
    </div>
  );
}

export function Skeleton({ lines = 3, label = 'Loading…' }: { lines?: number; label?: string }) {
  return (
    <div className="skeleton-block" role="status" aria-live="polite" aria-busy="true">
      <span className="visually-hidden">{label}</span>
      {Array.from({ length: lines }, (_, i) => (
        <div key={i} className="skeleton skeleton-line" style={{ width: `${90 - ((i * 17) % 40)}%` }} />
      ))}
    </div>
  );
}

export function CardGridSkeleton({ count = 6, label = 'Loading products…' }: { count?: number; label?: string }) {
  return (
    <div role="status" aria-busy="true" aria-live="polite">
      <span className="visually-hidden">{label}</span>
      <ul className="product-grid" aria-hidden="true">
        {Array.from({ length: count }, (_, i) => (
          <li key={i} className="card product-card">
            <div className="skeleton skeleton-image" />
            <div className="skeleton skeleton-line" />
            <div className="skeleton skeleton-line short" />
          </li>
        ))}
      </ul>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty-state" data-testid="empty-state">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

const STATUS_LABEL: Record<OrderStatus, string> = {
  pending_payment: 'Pending payment',
  paid: 'Paid',
  fulfilled: 'Fulfilled',
  payment_failed: 'Payment failed',
  cancelled: 'Cancelled',
};

export function StatusBadge({ status }: { status: OrderStatus }) {
  return (
    <span className={`status status-${status}`} data-testid="order-status" data-status={status}>
      {STATUS_LABEL[status]}
    </span>
  );
}

export function Pagination({ page, pageSize, total, hrefFor, onPage }: { page: number; pageSize: number; total: number; hrefFor?: (p: number) => string; onPage?: (p: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  if (pages <= 1) return null;
  const item = (p: number, label: string, disabled: boolean) =>
    disabled ? (
      <span className="btn btn-small" aria-disabled="true">
        {label}
      </span>
    ) : hrefFor ? (
      <Link className="btn btn-small" to={hrefFor(p)} onClick={() => onPage?.(p)}>
        {label}
      </Link>
    ) : (
      <button type="button" className="btn btn-small" onClick={() => onPage?.(p)}>
        {label}
      </button>
    );
  return (
    <nav className="pagination" aria-label="Pagination">
      {item(page - 1, '‹ Previous', page <= 1)}
      <span aria-current="page">
        Page {page} of {pages}
      </span>
      {item(page + 1, 'Next ›', page >= pages)}
    </nav>
  );
}

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
