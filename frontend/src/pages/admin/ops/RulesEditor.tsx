import { useState, type FormEvent } from 'react';
import type { AlertRule } from '../../../api/types';
import { toProblem } from '../../../api/problem';
import { ErrorBanner, Skeleton } from '../../../components/ui';
import { useAlertRules, useUpdateAlertRule } from '../../../hooks/api';

const UNITS: Record<AlertRule['unit'], string> = { percent: '%', ms: 'ms', count: '', seconds: 's' };

function RuleRow({ rule }: { rule: AlertRule }) {
  const update = useUpdateAlertRule();
  const [threshold, setThreshold] = useState(String(rule.threshold));
  const [minCount, setMinCount] = useState(String(rule.min_count));
  const [enabled, setEnabled] = useState(rule.enabled);
  const problem = update.error ? toProblem(update.error) : null;
  const fieldError = (field: string) => problem?.errors?.find((e) => e.field === field)?.message;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    update.mutate({ id: rule.id, change: { threshold: Number(threshold), min_count: Number(minCount), enabled } });
  };
  return (
    <form className="rule" onSubmit={submit} data-testid="rule" data-rule={rule.id} aria-label={rule.name}>
      <strong>{rule.name}</strong>
      <label>
        Above{' '}
        <input type="number" step="any" min="0" value={threshold} onChange={(e) => setThreshold(e.target.value)} aria-invalid={fieldError('threshold') ? true : undefined} aria-label={`${rule.name} threshold`} />{' '}
        {UNITS[rule.unit]}
      </label>
      <label>
        on at least{' '}
        <input type="number" min="1" step="1" value={minCount} onChange={(e) => setMinCount(e.target.value)} aria-invalid={fieldError('min_count') ? true : undefined} aria-label={`${rule.name} minimum count`} />
      </label>
      <label>
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> enabled
      </label>
      <button type="submit" className="btn btn-small" disabled={update.isPending}>
        Save
      </button>
      {update.isSuccess ? <small role="status">Saved</small> : null}
      {problem ? <ErrorBanner message={[fieldError('threshold'), fieldError('min_count')].filter(Boolean).join('; ') || problem.detail} /> : null}
    </form>
  );
}

/** Every alert rule, each editable on its own. */
export default function RulesEditor() {
  const rules = useAlertRules();
  return (
    <section aria-labelledby="rules-heading" className="ops-section">
      <h2 id="rules-heading">Alert rules</h2>
      {rules.isError ? <ErrorBanner problem={toProblem(rules.error)} /> : null}
      {rules.isPending ? <Skeleton lines={3} label="Loading rules…" /> : null}
      {rules.data?.items.map((rule) => (
        <RuleRow key={rule.id} rule={rule} />
      ))}
    </section>
  );
}
