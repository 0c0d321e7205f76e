import { useState } from 'react';
import { useDeadLetters, useReplayDeadLetter } from '../../hooks/api';
import { toProblem } from '../../api/problem';
import { EmptyState, ErrorBanner, InfoBanner, Skeleton } from '../../components/ui';

function when(ms: number | undefined): string {
  return typeof ms === 'number' ? new Date(ms).toLocaleString() : '—';
}

export default function DeadLettersPage() {
  const list = useDeadLetters();
  const replay = useReplayDeadLetter();
  const [result, setResult] = useState('');
  return (
    <main id="main" className="page" data-testid="page-admin-dead-letters">
      <h1>Dead letters</h1>
      <div className="actions">
        <button type="button" className="btn" onClick={() => void list.refetch()} disabled={list.isFetching}>
          {list.isFetching ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      {result ? <InfoBanner>{result}</InfoBanner> : null}
      {replay.error ? <ErrorBanner problem={toProblem(replay.error)} /> : null}
      {list.data?.unavailable.length ? (
        <p className="banner banner-warn">Could not read the dead letters of: {list.data.unavailable.join(', ')} (temporarily unavailable).</p>
      ) : null}
      {list.isPending ? (
        <Skeleton lines={5} label="Loading dead letters…" />
      ) : list.isError ? (
        <ErrorBanner problem={toProblem(list.error)} onRetry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <EmptyState title="No dead letters">
          <p>Every event was handled and delivered.</p>
        </EmptyState>
      ) : (
        <div className="table-scroll">
          <table className="table" data-testid="dead-letter-table">
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Kind</th>
                <th scope="col">Event</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last error</th>
                <th scope="col">When</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((d) => (
                <tr key={d.id}>
                  <td>{d.service}</td>
                  <td>{d.kind === 'dead_letter' ? 'Dead letter' : 'Undelivered'}</td>
                  <td>
                    {d.event_type}
                    <br />
                    <code className="muted">{d.event_id}</code>
                  </td>
                  <td>{d.attempts}</td>
                  <td className="wrap">{d.last_error ?? '—'}</td>
                  <td>{when(d.failed_at ?? d.created_at)}</td>
                  <td>
                    <button
                      type="button"
                      className="btn btn-small"
                      aria-label={`Replay ${d.event_type} ${d.event_id}`}
                      disabled={replay.isPending}
                      onClick={() => replay.mutate(d.id, { onSuccess: (r) => setResult(`Event ${r.event_id}: ${r.outcome}`) })}
                    >
                      {d.kind === 'dead_letter' ? 'Replay' : 'Requeue'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}
