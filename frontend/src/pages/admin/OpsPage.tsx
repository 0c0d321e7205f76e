import type { OpsService } from '../../api/types';
import { useHealth, useOpsOverview } from '../../hooks/api';
import { toProblem } from '../../api/problem';
import { ErrorBanner, Skeleton } from '../../components/ui';
import { RateBar, Sparkline } from '../../components/charts';
import AlertsPanel from './ops/AlertsPanel';
import RulesEditor from './ops/RulesEditor';

function fixed(n: number | null | undefined, digits = 1): string {
  return n === null || n === undefined ? '–' : n.toFixed(digits);
}

/** What telemetry knows of one service: its events, its calls through the gateway, its dead letters. */
function Telemetry({ service }: { service: OpsService }) {
  const { events, requests } = service;
  return (
    <dl data-testid="telemetry">
      {events ? (
        <>
          <dt>Events</dt>
          <dd>
            {fixed(events.per_minute)}/min <Sparkline values={events.series} label={`${service.name} events over the window`} />
          </dd>
          <dt>Failures</dt>
          <dd>
            <RateBar rate={events.failure_rate} label={`${service.name} event failure rate`} alarm={0.2} />
          </dd>
          <dt>Lag</dt>
          <dd>{events.lag_ms_avg === null ? '–' : `${fixed(events.lag_ms_avg, 0)} ms`}</dd>
          <dt>Last event</dt>
          <dd>{events.silent_seconds === null ? '–' : `${events.silent_seconds} s ago`}</dd>
        </>
      ) : null}
      {requests ? (
        <>
          <dt>Calls</dt>
          <dd>{fixed(requests.per_minute)}/min</dd>
          <dt>Errors</dt>
          <dd>
            <RateBar rate={requests.error_rate} label={`${service.name} error rate`} />
          </dd>
          <dt>p50 / p99</dt>
          <dd data-testid="percentiles">
            {requests.p50_ms ?? '–'} / {requests.p99_ms ?? '–'} ms
          </dd>
        </>
      ) : null}
      {service.dead_letters ? (
        <>
          <dt>Dead letters</dt>
          <dd className="danger">{service.dead_letters}</dd>
        </>
      ) : null}
    </dl>
  );
}

export default function OpsPage() {
  const health = useHealth();
  const overview = useOpsOverview();
  const h = health.data;
  const byName = new Map((overview.data?.services ?? []).map((s) => [s.name, s]));
  const payments = overview.data?.payments;
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
        {overview.data?.window_seconds ? ` · rates over the last ${overview.data.window_seconds} s` : ''}
      </p>
      <AlertsPanel />
      {health.isError ? <ErrorBanner problem={toProblem(health.error)} /> : null}
      {overview.isError ? <ErrorBanner problem={toProblem(overview.error)} /> : null}
      {overview.data && overview.data.unavailable.length > 0 ? <ErrorBanner message={`Not available: ${overview.data.unavailable.join(', ')}`} /> : null}
      {payments ? (
        <p data-testid="payments-summary">
          Payments: {payments.succeeded} succeeded, {payments.failed} failed{' '}
          <RateBar rate={payments.failure_rate} label="Payment failure rate" alarm={0.5} />
        </p>
      ) : null}
      {health.isPending ? (
        <Skeleton lines={7} label="Loading health…" />
      ) : h ? (
        <ul className="service-grid" data-testid="service-list">
          {h.services.map((s) => {
            const seen = byName.get(s.name);
            return (
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
                {seen ? <Telemetry service={seen} /> : null}
                {s.detail ? <p className="muted wrap">{s.detail}</p> : null}
              </li>
            );
          })}
        </ul>
      ) : null}
      <RulesEditor />
    </main>
  );
}
