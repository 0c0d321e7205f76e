import { useHealth } from '../../hooks/api';
import { toProblem } from '../../api/problem';
import { ErrorBanner, Skeleton } from '../../components/ui';

export default function OpsPage() {
  const health = useHealth();
  const h = health.data;
  return (
    <main id="main" className="page" data-testid="page-ops">
      <h1>
        Ops dashboard{' '}
        {h ? (
          <span className={`health health-${h.status}`} data-testid="overall-health">
            {h.status}
          </span>
        ) : null}
      </h1>
      <p className="muted" aria-live="off">
        Refreshed every 2 s{health.dataUpdatedAt ? ` · last ${new Date(health.dataUpdatedAt).toLocaleTimeString()}` : ''}
      </p>
      {health.isError ? <ErrorBanner problem={toProblem(health.error)} /> : null}
      {health.isPending ? (
        <Skeleton lines={7} label="Loading health…" />
      ) : h ? (
        <ul className="service-grid" data-testid="service-list">
          {h.services.map((s) => (
            <li key={s.name} className={`card service service-${s.status}`} data-testid="service" data-service={s.name} data-status={s.status}>
              <h2>{s.name}</h2>
              <p>
                <span className={`health health-${s.status}`}>{s.status}</span>
              </p>
              <dl>
                <dt>Latency</dt>
                <dd data-testid="latency">{s.latency_ms} ms</dd>
                <dt>Circuit</dt>
                <dd>{s.circuit.replace('_', '-')}</dd>
              </dl>
              {s.detail ? <p className="muted wrap">{s.detail}</p> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </main>
  );
}
