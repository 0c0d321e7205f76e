import { render, screen } from '@testing-library/react';
import { RateBar, Sparkline, sparklinePoints } from './charts';

describe('sparklinePoints', () => {
  it('spreads the values over the width with the largest at the top', () => {
    expect(sparklinePoints([0, 5, 10], 100, 20)).toBe('0,20 50,10 100,0');
  });

  it('keeps an all-zero series on the baseline and draws nothing for no values', () => {
    expect(sparklinePoints([0, 0], 10, 8)).toBe('0,8 10,8');
    expect(sparklinePoints([], 10, 8)).toBe('');
  });
});

describe('charts', () => {
  it('labels the sparkline for screen readers', () => {
    render(<Sparkline values={[1, 2, 3]} label="payments events" />);
    expect(screen.getByRole('img', { name: 'payments events' })).toBeInTheDocument();
  });

  it('shows a rate as a bar that turns to alarm at its threshold', () => {
    const { container } = render(<RateBar rate={0.25} label="failure rate" alarm={0.2} />);
    expect(screen.getByRole('img', { name: 'failure rate: 25.0%' })).toBeInTheDocument();
    expect(container.querySelector('.rate-bar')).toHaveAttribute('data-alarm', 'true');
    expect(container).toHaveTextContent('25%');
  });

  it('shows a dash without a rate', () => {
    const { container } = render(<RateBar rate={null} label="failure rate" />);
    expect(container).toHaveTextContent('–');
  });
});
