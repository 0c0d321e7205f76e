import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderApp, signInAs } from '../../test/render';
import { db } from '../../mocks/db';

describe('ops dashboard', () => {
  it('shows telemetry with charts next to each service', async () => {
    signInAs('admin@wasmart.local');
    renderApp('/admin/ops');
    const payments = await screen.findByTestId('telemetry', {}, { timeout: 5000 });
    expect(within(payments).getByRole('img', { name: 'payments events over the window' })).toBeInTheDocument();
    expect(within(payments).getByTestId('percentiles')).toHaveTextContent('5 / 50 ms');
    expect(screen.getByTestId('payments-summary')).toHaveTextContent('18 succeeded, 2 failed');
  });

  it('lists active alerts and the resolved ones', async () => {
    const alert = {
      id: '00000000-0000-4000-8000-0000000000a1',
      rule_id: 'payment-failure-rate',
      service: 'payments',
      metric: 'payment_failure_rate',
      value: 100,
      threshold: 50,
      summary: 'payments: payment failure rate 100% above 50%',
      status: 'active' as const,
      raised_at: '2025-01-01T12:00:00.000Z',
      resolved_at: null,
    };
    db.alerts = [alert, { ...alert, id: '00000000-0000-4000-8000-0000000000a2', status: 'resolved', resolved_at: '2025-01-01T12:01:00.000Z' }];
    signInAs('admin@wasmart.local');
    renderApp('/admin/ops');
    const active = await screen.findByTestId('active-alerts');
    await waitFor(() => expect(within(active).getAllByTestId('alert')).toHaveLength(1));
    expect(active).toHaveTextContent('payment failure rate 100% above 50%');
    expect(within(screen.getByTestId('recent-alerts')).getAllByTestId('alert')[0]).toHaveAttribute('data-status', 'resolved');
  });

  it('says so when no alert is active', async () => {
    signInAs('admin@wasmart.local');
    renderApp('/admin/ops');
    expect(await screen.findByText('No active alerts.')).toBeInTheDocument();
  });

  it('edits a rule and shows the field a bad change names', async () => {
    const user = userEvent.setup();
    signInAs('admin@wasmart.local');
    renderApp('/admin/ops');
    const threshold = await screen.findByLabelText('Payment failure rate threshold');
    await user.clear(threshold);
    await user.type(threshold, '150');
    const form = screen.getByRole('form', { name: 'Payment failure rate' });
    await user.click(within(form).getByRole('button', { name: 'Save' }));
    expect(await within(form).findByRole('alert')).toHaveTextContent('must be a number from 0 to 100');
    expect(threshold).toHaveAttribute('aria-invalid', 'true');
    await user.clear(threshold);
    await user.type(threshold, '30');
    await user.click(within(form).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(db.alertRules[0]!.threshold).toBe(30));
  });
});
