import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { formatTimestamp, type TimeMode } from './cellFormat';
import { timeBound, type FilterInput, type TimeBound } from './tableQuery';

/** An instant as text that sorts in time order (`…T00:00:00Z` and `…T00:00:00.5Z` alike). */
function comparable(instant: string): string {
  const [whole, fraction = ''] = instant.replace(/Z$/, '').split('.');
  return `${whole}.${fraction.padEnd(9, '0')}`;
}

/** One bound as the panel shows it: the instant in both clocks, or why it is not one. */
function BoundEcho({ label, bound, zone }: { label: string; bound: TimeBound | null; zone: string }) {
  if (!bound) return <span className="muted">{label}: open</span>;
  if ('error' in bound) return <span className="time-range-error">{label}: {bound.error}</span>;
  return (
    <span>
      {label}: <span className="mono">{formatTimestamp(bound.instant, 'exchange', zone)}</span> = <span className="mono">{formatTimestamp(bound.instant, 'utc')}</span>
    </span>
  );
}

/**
 * The time-range picker of the table: from and to, typed in the instrument's exchange time
 * or in UTC (a toggle), each shown in both clocks as it is typed; applying it filters the
 * whole dataset in the host (a range filter of rows.query on the time column, in instants).
 */
export function TimeRangePanel({
  columns,
  applied,
  zone,
  timeMode,
  onApply,
  onClose,
}: {
  /** the dataset's timestamp columns (the first is picked) */
  columns: readonly string[];
  /** the ranges applied now, by column */
  applied: Record<string, FilterInput | undefined>;
  /** the instrument's exchange zone */
  zone: string;
  /** the table's clock: the zone a new range is typed in */
  timeMode: TimeMode;
  onApply: (column: string, input: FilterInput | null) => void;
  onClose: () => void;
}) {
  const [column, setColumn] = useState(columns.includes('timestamp') ? 'timestamp' : columns[0]);
  const current = applied[column];
  const [from, setFrom] = useState(current?.min ?? '');
  const [to, setTo] = useState(current?.max ?? '');
  const [inUtc, setInUtc] = useState(current?.zone !== undefined ? current.zone === 'UTC' : timeMode === 'utc');
  const fromRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    fromRef.current?.focus();
    const onOpen = () => fromRef.current?.focus();
    window.addEventListener('mes-data:time-range', onOpen);
    return () => window.removeEventListener('mes-data:time-range', onOpen);
  }, []);

  const typedZone = inUtc ? 'UTC' : zone;
  const fromBound = timeBound(from, 'from', typedZone);
  const toBound = timeBound(to, 'to', typedZone);
  const invalid = (fromBound !== null && 'error' in fromBound) || (toBound !== null && 'error' in toBound);
  const reversed = fromBound && toBound && 'instant' in fromBound && 'instant' in toBound && comparable(fromBound.instant) > comparable(toBound.instant);
  const apply = () => {
    if (invalid || reversed) return;
    onApply(column, from.trim() === '' && to.trim() === '' ? null : { min: from, max: to, text: '', zone: typedZone });
  };
  const onKey = (event: KeyboardEvent<HTMLElement>) => {
    event.stopPropagation();
    // Alt+Z again: back to From (the key does not reach the window from here)
    if (event.altKey && event.code === 'KeyZ') {
      event.preventDefault();
      fromRef.current?.focus();
    }
    // Enter in a bound applies; on a button it is that button's
    if (event.key === 'Enter' && event.target instanceof HTMLInputElement) apply();
    if (event.key === 'Escape') onClose();
  };

  return (
    <div className="time-range-panel" role="group" aria-label="Time range" onKeyDown={onKey}>
      <div className="time-range-row">
        <span className="panel-title">Time range</span>
        {columns.length > 1 ? (
          <select aria-label="Time column" value={column} onChange={(event) => setColumn(event.target.value)}>
            {columns.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        ) : null}
        <label>
          From
          <input ref={fromRef} className="mono" aria-label="Time from" placeholder="2024-01-02 09:30" value={from} onChange={(event) => setFrom(event.target.value)} />
        </label>
        <label>
          To
          <input className="mono" aria-label="Time to" placeholder="2024-01-02 16:00:00" value={to} onChange={(event) => setTo(event.target.value)} />
        </label>
        <div className="segmented" role="group" aria-label="The clock the times are typed in">
          <button type="button" aria-pressed={!inUtc} title={`Read the times typed as ${zone} wall-clock times`} onClick={() => setInUtc(false)}>
            Exchange ({zone})
          </button>
          <button type="button" aria-pressed={inUtc} title="Read the times typed as UTC" onClick={() => setInUtc(true)}>
            UTC
          </button>
        </div>
        <button type="button" className="primary" disabled={invalid || Boolean(reversed)} onClick={apply}>
          Apply
        </button>
        <button
          type="button"
          disabled={!current}
          onClick={() => {
            setFrom('');
            setTo('');
            onApply(column, null);
          }}
        >
          Clear
        </button>
        <button type="button" className="icon-button" aria-label="Close the time range" title="Close (Esc)" onClick={onClose}>
          ×
        </button>
      </div>
      <div className="time-range-echo small" data-testid="time-range-echo" aria-live="polite">
        <span className="mono muted">{column}</span>{' '}
        <BoundEcho label="From" bound={fromBound} zone={zone} />{' '}
        <BoundEcho label="To" bound={toBound} zone={zone} />{' '}
        {reversed ? <span className="time-range-error">From is after To </span> : null}
        <span className="muted">both ends included; a date alone is its whole day</span>
      </div>
    </div>
  );
}

/** The range applied, in both clocks, while the picker is closed; a click opens it again. */
export function TimeRangeStrip({ column, input, zone, onOpen }: { column: string; input: FilterInput; zone: string; onOpen: () => void }) {
  const from = timeBound(input.min, 'from', input.zone);
  const to = timeBound(input.max, 'to', input.zone);
  return (
    <div className="time-range-strip small" data-testid="time-range-strip">
      <span className="panel-title">Time range</span>{' '}
      <span className="mono muted">{column}</span>{' '}
      <BoundEcho label="From" bound={from} zone={zone} />{' '}
      <BoundEcho label="To" bound={to} zone={zone} />{' '}
      <button type="button" onClick={onOpen} title="Change the time range (Alt+Z)">
        Edit
      </button>
    </div>
  );
}
