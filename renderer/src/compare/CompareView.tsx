import { useEffect, useMemo, useState } from 'react';
import type { JobState } from '../../../core/api/contract.js';
import { invoke } from '../api/transport';
import { ErrorPanel } from '../shell/ErrorPanel';
import { ProgressBar } from '../shell/ProgressBar';
import { cancelJob, runJob } from '../state/actions';
import { useAppState } from '../state/appState';
import { useInstrument } from '../table/useInstrument';
import type { CatalogNode } from '../tree/treeModel';
import { failedJobError } from '../api/errorText';
import { DIFF_KINDS, dateRuleText, firstDate, rowCells, schemaLines, stripBars, summaryText, versionsOf, type DiffKind, type DiffResult, type DiffRowsPage } from './compareModel';
import { closeCompare, setPair, useCompare } from './compareState';
import './compare.css';

const PAGE_ROWS = 100;

/** Diffs already run in this window, by pair: going back to a pair does not run it again. */
const finished = new Map<string, DiffResult>();

type Run = { state: 'running'; job: JobState<'diff'> | null } | { state: 'done'; result: DiffResult } | { state: 'failed'; error: unknown };

function useDiff(a: string, b: string, dataVersion: number): Run {
  const key = `${dataVersion}\n${a}\n${b}`;
  const [run, setRun] = useState<{ key: string; run: Run }>(() => ({ key, run: finished.has(key) ? { state: 'done', result: finished.get(key) as DiffResult } : { state: 'running', job: null } }));
  useEffect(() => {
    const known = finished.get(key);
    if (known) {
      setRun({ key, run: { state: 'done', result: known } });
      return;
    }
    let live = true;
    let jobId: string | null = null;
    setRun({ key, run: { state: 'running', job: null } });
    runJob({ kind: 'diff', a, b }, (job) => {
      jobId = job.id;
      if (live && job.state !== 'succeeded') setRun({ key, run: { state: 'running', job } });
    }).then(
      (job) => {
        if (job.state === 'succeeded' && job.result) {
          finished.set(key, job.result);
          if (live) setRun({ key, run: { state: 'done', result: job.result } });
        } else if (live) setRun({ key, run: { state: 'failed', error: failedJobError(job.error, `The diff of ${a} and ${b}`, job.state) } });
      },
      (error: unknown) => {
        if (live) setRun({ key, run: { state: 'failed', error } });
      },
    );
    return () => {
      live = false;
      // a pair left before its diff ended: the job has no one to answer
      if (jobId && !finished.has(key)) void cancelJob(jobId);
    };
  }, [key, a, b]);
  return run.key === key ? run.run : { state: 'running', job: null };
}

function VersionPicker({ label, value, options, onChange }: { label: string; value: string; options: { path: string; name: string; rows: number | null }[]; onChange: (path: string) => void }) {
  const known = options.some((o) => o.path === value);
  return (
    <label className="compare-picker">
      <span className="muted small">{label}</span>
      <select aria-label={`Version ${label}`} value={value} onChange={(event) => onChange(event.target.value)}>
        {known ? null : <option value={value}>{value}</option>}
        {options.map((o) => (
          <option key={o.path} value={o.path}>
            {o.path}
            {o.rows !== null ? ` · ${o.rows.toLocaleString('en-US')} rows` : ''}
          </option>
        ))}
      </select>
    </label>
  );
}

function DateStrip({ dates, selected, onSelect }: { dates: DiffResult['byDate']['dates']; selected: string | null; onSelect: (date: string) => void }) {
  const bars = useMemo(() => stripBars(dates), [dates]);
  if (bars.length === 0) return <p className="muted">No row differs: nothing to show per date.</p>;
  return (
    <>
    <div className="compare-strip" role="toolbar" aria-label="Trading dates with differences">
      {bars.map((bar) => (
        <button
          key={bar.date ?? 'none'}
          type="button"
          className={`strip-bar${bar.date === selected ? ' selected' : ''}`}
          aria-pressed={bar.date === selected}
          aria-label={bar.label}
          title={bar.label}
          data-date={bar.date ?? ''}
          disabled={bar.date === null}
          onClick={() => bar.date && onSelect(bar.date)}
        >
          <span className="strip-stack">
            <span className="strip-part added" style={{ height: `${bar.heights.added * 100}%` }} />
            <span className="strip-part removed" style={{ height: `${bar.heights.removed * 100}%` }} />
            <span className="strip-part changed" style={{ height: `${bar.heights.changed * 100}%` }} />
          </span>
        </button>
      ))}
    </div>
    <div className="strip-axis muted small" aria-hidden="true">
      <span>{bars[0].date}</span>
      {bars.length > 1 ? <span>{bars[bars.length - 1].date}</span> : null}
    </div>
    </>
  );
}

function DateRows({ a, b, date }: { a: string; b: string; date: string }) {
  const timeMode = useAppState((s) => s.timeMode);
  const look = useInstrument(b);
  const [kinds, setKinds] = useState<DiffKind[]>([...DIFF_KINDS]);
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ key: string; page: DiffRowsPage | null; error: unknown }>({ key: '', page: null, error: null });
  const key = `${a}\n${b}\n${date}\n${kinds.join()}\n${offset}`;
  useEffect(() => setOffset(0), [a, b, date, kinds]);
  useEffect(() => {
    let live = true;
    invoke('diff.rows', { a, b, date, kinds, offset, limit: PAGE_ROWS }).then(
      (answer) => live && setPage({ key, page: answer, error: null }),
      (error: unknown) => live && setPage({ key, page: null, error }),
    );
    return () => {
      live = false;
    };
  }, [key, a, b, date, kinds, offset]);
  const current = page.key === key ? page : null;
  const shown = current?.page ?? (page.page?.date === date ? page.page : null);
  const toggle = (kind: DiffKind) => setKinds((now) => (now.includes(kind) ? (now.length > 1 ? now.filter((k) => k !== kind) : now) : DIFF_KINDS.filter((k) => k === kind || now.includes(k))));
  return (
    <section className="compare-rows" aria-label={`Rows of ${date}`} aria-busy={current === null}>
      <header className="compare-rows-header">
        <h2>{date}</h2>
        {shown ? (
          <span className="compare-counts" data-testid="date-counts">
            <span className="diff-added">{shown.counts.added.toLocaleString('en-US')} added</span> · <span className="diff-removed">{shown.counts.removed.toLocaleString('en-US')} removed</span> ·{' '}
            <span className="diff-changed">{shown.counts.changed.toLocaleString('en-US')} changed</span>
          </span>
        ) : (
          <span className="muted">Reading…</span>
        )}
        <span className="spacer" />
        <span className="compare-kinds" role="group" aria-label="Kinds of rows shown">
          {DIFF_KINDS.map((kind) => (
            <label key={kind} className={`kind-toggle diff-${kind}`}>
              <input type="checkbox" checked={kinds.includes(kind)} onChange={() => toggle(kind)} /> {kind}
            </label>
          ))}
        </span>
      </header>
      {current?.error ? <ErrorPanel error={current.error} context={`The rows of ${date} could not be compared`} compact /> : null}
      {shown ? (
        <>
          <div className="compare-table-scroll">
            <table className="data-table compare-table">
              <thead>
                <tr>
                  <th scope="col">kind</th>
                  {shown.columns.map((c) => (
                    <th key={c.name} scope="col">
                      {c.name}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {shown.rows.map((row, i) => (
                  <tr key={`${shown.offset + i}`} className={`diff-row ${row.kind}`} data-kind={row.kind}>
                    <td className={`diff-kind diff-${row.kind}`}>{row.kind}</td>
                    {rowCells(row, shown.columns, { mode: timeMode, zone: look.zone, tick: look.tick }).map((cell) =>
                      cell.changed ? (
                        <td key={cell.column} className="cell-changed" data-column={cell.column} title={`${cell.column}: ${cell.text}`}>
                          <span className="old">{cell.from}</span>
                          <span aria-hidden="true"> → </span>
                          <span className="new">{cell.to}</span>
                        </td>
                      ) : (
                        <td key={cell.column} data-column={cell.column}>
                          {cell.text}
                        </td>
                      ),
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
            {shown.rows.length === 0 ? <p className="muted pane-message">No rows of the kinds shown on this date.</p> : null}
          </div>
          <footer className="compare-pager">
            <span className="muted small" data-testid="rows-range">
              {shown.total === 0 ? '0 rows' : `rows ${(shown.offset + 1).toLocaleString('en-US')}–${(shown.offset + shown.rows.length).toLocaleString('en-US')} of ${shown.total.toLocaleString('en-US')}`}
            </span>
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_ROWS))}>
              Previous
            </button>
            <button type="button" disabled={shown.offset + shown.rows.length >= shown.total} onClick={() => setOffset(offset + PAGE_ROWS)}>
              Next
            </button>
          </footer>
        </>
      ) : null}
    </section>
  );
}

/** Two versions side by side: schema changes, a strip of trading dates with differences, and the rows of the date picked. */
export function CompareView() {
  const pair = useCompare((s) => s.pair);
  const tree = useAppState((s) => s.tree);
  const dataVersion = useAppState((s) => s.dataVersion);
  if (!pair) return null;
  return <ComparePair a={pair.a} b={pair.b} tree={tree} dataVersion={dataVersion} />;
}

function ComparePair({ a, b, tree, dataVersion }: { a: string; b: string; tree: CatalogNode | null; dataVersion: number }) {
  const run = useDiff(a, b, dataVersion);
  const [date, setDate] = useState<string | null>(null);
  const versions = useMemo(() => versionsOf(tree, b), [tree, b]);
  const result = run.state === 'done' ? run.result : null;
  useEffect(() => setDate(result ? firstDate(result.byDate.dates) : null), [result]);
  const schema = result ? schemaLines(result.schema) : [];
  return (
    <div className="compare-view" data-testid="compare-view">
      <header className="compare-header">
        <h1>Compare versions</h1>
        <VersionPicker label="A" value={a} options={versions} onChange={(path) => setPair(path, b)} />
        <button type="button" className="icon-button" title="Swap A and B" aria-label="Swap A and B" onClick={() => setPair(b, a)}>
          ⇄
        </button>
        <VersionPicker label="B" value={b} options={versions} onChange={(path) => setPair(a, path)} />
        <span className="spacer" />
        <button type="button" onClick={closeCompare} title="Back to the dataset">
          Close
        </button>
      </header>
      {run.state === 'running' ? (
        <div className="compare-running">
          {run.job ? <ProgressBar progress={run.job.progress} label="Diff progress" /> : <p className="muted">Starting the diff…</p>}
          {run.job ? (
            <button type="button" onClick={() => run.job && void cancelJob(run.job.id)}>
              Cancel job
            </button>
          ) : null}
        </div>
      ) : null}
      {run.state === 'failed' ? <ErrorPanel error={run.error} context={`${a} and ${b} could not be compared`} /> : null}
      {result ? (
        <>
          <section className="compare-summary" aria-label="Summary">
            <p data-testid="compare-summary">
              <strong>{summaryText(result.rows)}</strong>
              <span className="muted">
                {' '}
                · A {result.rows.a.toLocaleString('en-US')} rows, B {result.rows.b.toLocaleString('en-US')} rows · matched by {result.key.join(' and ')}
              </span>
            </p>
            <div className="compare-schema" data-testid="compare-schema">
              {schema.length === 0 ? (
                <span className="muted">Same columns and types.</span>
              ) : (
                schema.map((line) => (
                  <span key={line.text} className={`schema-change diff-${line.kind}`}>
                    {line.text}
                  </span>
                ))
              )}
              {Object.keys(result.changedColumns).length > 0 ? (
                <span className="muted">
                  {' '}
                  Changed values: {Object.entries(result.changedColumns)
                    .map(([name, n]) => `${name} ${n.toLocaleString('en-US')}`)
                    .join(', ')}
                </span>
              ) : null}
            </div>
          </section>
          <section className="compare-dates" aria-label="Differences per trading date">
            <header className="compare-dates-header">
              <span className="panel-title">
                {result.byDate.dates.length.toLocaleString('en-US')} trading {result.byDate.dates.length === 1 ? 'date' : 'dates'} with differences
              </span>
              <span className="legend">
                <span className="swatch added" /> added <span className="swatch removed" /> removed <span className="swatch changed" /> changed
              </span>
              <span className="muted small">{dateRuleText(result.byDate)}</span>
            </header>
            <DateStrip dates={result.byDate.dates} selected={date} onSelect={setDate} />
          </section>
          {date ? <DateRows a={a} b={b} date={date} /> : null}
        </>
      ) : null}
    </div>
  );
}
