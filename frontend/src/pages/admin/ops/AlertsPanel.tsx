import type { Alert } from '../../../api/types';
import { toProblem } from '../../../api/problem';
import { ErrorBanner } from '../../../components/ui';
import { useAlerts } from '../../../hooks/api';

function when(at: string): string {
  return new Date(at).toLocaleTimeString();
}

function AlertItem({ alert }: { alert: Alert }) {
  return (
    <li className={`alert-item alert-${alert.status}`} data-testid="alert" data-rule={alert.rule_id} data-status={alert.status}>
      <strong>{alert.summary}</strong>
      <small className="muted">
        {' '}
        · raised {when(alert.raised_at)}
        {alert.resolved_at ? ` · resolved ${when(alert.resolved_at)}` : ''}
      </small>
    </li>
  );
}

/** Active alerts (announced to screen readers as they appear) and the latest resolved ones. */
export default function AlertsPanel() {
  const alerts = useAlerts();
  const data = alerts.data;
  return (
    <section aria-labelledby="alerts-heading" className="ops-section">
      <h2 id="alerts-heading">Alerts</h2>
      {alerts.isError ? <ErrorBanner problem={toProblem(alerts.error)} /> : null}
      <div aria-live="polite" data-testid="active-alerts">
        {data && data.active.length === 0 ? <p className="muted">No active alerts.</p> : null}
        {data && data.active.length > 0 ? (
          <ul className="alert-list">
            {data.active.map((a) => (
              <AlertItem key={a.id} alert={a} />
            ))}
          </ul>
        ) : null}
      </div>
      {data && data.recent.length > 0 ? (
        <details data-testid="recent-alerts">
          <summary>Recently resolved ({data.recent.length})</summary>
          <ul className="alert-list">
            {data.recent.map((a) => (
              <AlertItem key={a.id} alert={a} />
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  );
}
