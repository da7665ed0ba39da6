import { formatCount } from '../tree/treeModel';
import { barAtTime, type DrawnBar } from './chartBars';
import { featureIndex, formatIndicator, indicatorLabel, type ActiveIndicator } from './indicators';

/**
 * The legend over the candles: the bar under the crosshair (the last bar when the crosshair
 * is off the plot) with its time, open, high, low, close at the instrument's tick and its
 * volume, then the value of each indicator line at that bar.
 */
export function ChartLegend({
  bars,
  hoverTime,
  active,
  request,
  current,
  priceDecimals,
  timeLabel,
}: {
  bars: readonly DrawnBar[];
  hoverTime: number | null;
  active: readonly ActiveIndicator[];
  request: readonly { path: string; column: string }[];
  /** whether the bars carry the features of `request` (its answer has arrived) */
  current: boolean;
  priceDecimals: number;
  timeLabel: (seconds: number) => string;
}) {
  const bar = hoverTime === null ? (bars[bars.length - 1] ?? null) : barAtTime(bars, hoverTime);
  if (!bar) return null;
  const price = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: priceDecimals, maximumFractionDigits: priceDecimals });
  return (
    <div className="chart-legend" data-testid="chart-legend" data-time={bar.time} data-row={bar.row} data-hover={hoverTime === null ? 'no' : 'yes'} aria-live="off">
      <span className="legend-time">{timeLabel(bar.time)}</span>
      {(
        [
          ['O', price(bar.open)],
          ['H', price(bar.high)],
          ['L', price(bar.low)],
          ['C', price(bar.close)],
          ['V', formatCount(bar.volume)],
        ] as const
      ).map(([name, text]) => (
        <span key={name} className="legend-item" data-testid="legend-ohlcv" data-name={name}>
          <span className="muted">{name}</span> {text}
        </span>
      ))}
      {active.flatMap((indicator) =>
        indicator.lines.map((line) => {
          const value = current ? (bar.values[featureIndex(request, line)] ?? null) : null;
          return (
            <span key={`${indicator.key} ${line.column}`} className="legend-item" data-testid="legend-value" data-column={line.column} data-value={value ?? ''}>
              <span className="muted">{indicatorLabel(line.column)}</span> {current ? formatIndicator(value) : '…'}
            </span>
          );
        }),
      )}
    </div>
  );
}
