import { useState } from 'react';
import type { ApiResponse } from '../../../core/api/contract.js';
import { errorWords } from '../api/errorText';
import { invoke } from '../api/transport';
import { useAppState } from '../state/appState';
import { countOf, formatCount } from '../tree/treeModel';
import { copyText, formatCell } from './cellFormat';

const SQL_PAGE = 100;

type Result = ApiResponse<'rows.query'>;

/** Where DuckDB says the error is, when it says it. */
function positionText(details: unknown): string {
  const d = details as { line?: unknown; column?: unknown } | undefined;
  if (typeof d?.line !== 'number') return '';
  return typeof d.column === 'number' && d.column > 0 ? ` (line ${d.line}, column ${d.column})` : ` (line ${d.line})`;
}

/**
 * The SQL box over the table: one read-only SELECT over the dataset, bound as a view named
 * after its asset and as `dataset`, run by the host in DuckDB; results paged like the table
 * (100 rows a page) and DuckDB's error with its position.
 */
export function SqlPanel({ path }: { path: string }) {
  const timeMode = useAppState((s) => s.timeMode);
  const viewName = /^(?:raw|cleaned|features)\/([A-Za-z_][A-Za-z0-9_]*)/.exec(path)?.[1] ?? 'dataset';
  const [sql, setSql] = useState(`SELECT * FROM ${viewName} LIMIT 100`);
  const [result, setResult] = useState<{ sql: string; page: Result } | null>(null);
  const [error, setError] = useState<{ text: string; duckdb: string } | null>(null);
  const [running, setRunning] = useState(false);
  const [exported, setExported] = useState<string | null>(null);

  const exportAs = async (format: 'csv' | 'parquet') => {
    if (!result) return;
    setRunning(true);
    try {
      const name = `query-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      const written = await invoke('rows.export', { path, sql: result.sql, format, name });
      setExported(`Wrote ${countOf(written.rows, 'row')} to ${written.path}${written.capped ? ' (capped)' : ''}${written.microsecond.length ? ` · ${written.microsecond.join(', ')} to the microsecond` : ''}`);
    } catch (caught) {
      const words = errorWords(caught);
      setExported(`Export failed: ${words.code}: ${words.message}`);
    } finally {
      setRunning(false);
    }
  };

  const run = async (text: string, offset: number) => {
    setRunning(true);
    try {
      const page = await invoke('rows.query', { path, sql: text, offset, limit: SQL_PAGE });
      setResult({ sql: text, page });
      setError(null);
      setExported(null);
    } catch (caught) {
      const words = errorWords(caught);
      const details = (caught as { details?: { duckdb?: unknown } }).details;
      setError({ text: `${words.code}: ${words.message}${positionText(details)}`, duckdb: typeof details?.duckdb === 'string' ? details.duckdb : '' });
      setResult(null);
    } finally {
      setRunning(false);
    }
  };

  const page = result?.page;
  const offset = page?.offset ?? 0;
  return (
    <section className="sql-panel" aria-label="SQL query">
      <form
        className="sql-form"
        onSubmit={(event) => {
          event.preventDefault();
          void run(sql, 0);
        }}
      >
        <textarea
          aria-label="SQL"
          spellCheck={false}
          rows={3}
          value={sql}
          onChange={(event) => setSql(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
              event.preventDefault();
              void run(sql, 0);
            }
          }}
        />
        <div className="sql-actions">
          <button type="submit" disabled={running} title="Run (Ctrl+Enter)">
            {running ? 'Running…' : 'Run'}
          </button>
          <span className="muted">read-only · views: {viewName === 'dataset' ? 'dataset' : `${viewName}, dataset`}</span>
        </div>
      </form>
      {error ? (
        <div className="inline-error" role="alert" data-testid="sql-error">
          {error.text}
        </div>
      ) : null}
      {page ? (
        <div className="sql-result">
          <div className="sql-pager">
            <span className="muted" data-testid="sql-count">
              {countOf(page.totalRows, 'row')}
              {page.totalRows > 0 ? ` · ${formatCount(offset)}–${formatCount(offset + page.rows.length - 1)}` : ''}
            </span>
            <button type="button" disabled={running || offset === 0} onClick={() => void run(result.sql, Math.max(0, offset - SQL_PAGE))}>
              Previous
            </button>
            <button type="button" disabled={running || offset + SQL_PAGE >= page.totalRows} onClick={() => void run(result.sql, offset + SQL_PAGE)}>
              Next
            </button>
            <button type="button" disabled={running} title="Write every result row to the store's exports folder" onClick={() => void exportAs('csv')}>
              Export CSV
            </button>
            <button type="button" disabled={running} onClick={() => void exportAs('parquet')}>
              Export Parquet
            </button>
            {exported ? (
              <span className="muted" role="status" data-testid="sql-export">
                {exported}
              </span>
            ) : null}
            {page.microsecond.length > 0 ? <span className="muted">DuckDB gives {page.microsecond.join(', ')} in microseconds</span> : null}
          </div>
          <div className="sql-table-scroll">
            <table className="sql-table" data-testid="sql-result">
              <thead>
                <tr>
                  {page.columns.map((column) => (
                    <th key={column.name} title={column.type}>
                      {column.name}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {page.rows.map((row, i) => (
                  <tr key={offset + i}>
                    {row.map((value, k) => (
                      <td key={k} title={value === null ? undefined : copyText(value)} className={typeof value === 'number' ? 'num' : undefined}>
                        {formatCell(value, page.columns[k]?.type === 'TIMESTAMP WITH TIME ZONE' ? 'Timestamp<MICROSECOND, UTC>' : (page.columns[k]?.type ?? ''), timeMode)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ) : null}
    </section>
  );
}
