import { useMemo, useState } from 'react';
import { useAppState } from '../state/appState';
import { formatTimestamp, isZonedTimestampType, shortTypeName, type TimeMode } from '../table/cellFormat';
import { useInstrument } from '../table/useInstrument';
import { formatBytes, formatCount } from '../tree/treeModel';
import type { DatasetInfo } from './useDatasetInfo';

const MAX_GROUPS_SHOWN = 500;

function show(value: unknown, type: string, mode: TimeMode, zone: string): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return isZonedTimestampType(type) ? formatTimestamp(value, mode, zone) : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

interface ColumnSummary {
  name: string;
  min: unknown;
  max: unknown;
  nulls: number | null;
  compressed: number;
  uncompressed: number;
  codecs: string[];
  encodings: string[];
  physicalType: string | null;
}

/** Footer statistics of every column over all row groups. */
function summarize(info: DatasetInfo): Map<string, ColumnSummary> {
  const map = new Map<string, ColumnSummary>();
  for (const group of info.rowGroups) {
    for (const chunk of group.columns) {
      const s = map.get(chunk.name) ?? { name: chunk.name, min: undefined, max: undefined, nulls: 0, compressed: 0, uncompressed: 0, codecs: [], encodings: [], physicalType: chunk.physicalType };
      if (chunk.min !== null && chunk.min !== undefined && (s.min === undefined || compare(chunk.min, s.min) < 0)) s.min = chunk.min;
      if (chunk.max !== null && chunk.max !== undefined && (s.max === undefined || compare(chunk.max, s.max) > 0)) s.max = chunk.max;
      s.nulls = s.nulls === null || chunk.nullCount === null ? null : s.nulls + chunk.nullCount;
      s.compressed += chunk.compressedBytes;
      s.uncompressed += chunk.uncompressedBytes;
      if (!s.codecs.includes(chunk.compression)) s.codecs.push(chunk.compression);
      for (const e of chunk.encodings) if (!s.encodings.includes(e)) s.encodings.push(e);
      map.set(chunk.name, s);
    }
  }
  return map;
}

/** The Schema & stats tab: columns with types and nullability, codec and sizes, per-row-group statistics. */
export function SchemaView({ info }: { info: DatasetInfo }) {
  const summary = useMemo(() => summarize(info), [info]);
  const timeMode = useAppState((st) => st.timeMode);
  const { zone } = useInstrument(info.path);
  const typeOf = useMemo(() => new Map(info.columns.map((c) => [c.name, c.type])), [info]);
  const [column, setColumn] = useState(info.columns[0]?.name ?? '');
  const totals = [...summary.values()].reduce((t, s) => ({ c: t.c + s.compressed, u: t.u + s.uncompressed }), { c: 0, u: 0 });
  const fileBytes = info.files.reduce((sum, f) => sum + f.bytes, 0);
  const codecs = [...new Set([...summary.values()].flatMap((s) => s.codecs))];
  const groups = info.rowGroups.slice(0, MAX_GROUPS_SHOWN);
  return (
    <div className="scroll-pane schema-view">
      <section className="facts">
        <div>
          <span className="fact-label">Rows</span>
          <span className="fact-value">{formatCount(info.numRows)}</span>
        </div>
        <div>
          <span className="fact-label">Files</span>
          <span className="fact-value">{formatCount(info.files.length)}</span>
        </div>
        <div>
          <span className="fact-label">Row groups</span>
          <span className="fact-value">{formatCount(info.rowGroups.length)}</span>
        </div>
        <div>
          <span className="fact-label">On disk</span>
          <span className="fact-value">{formatBytes(fileBytes)}</span>
        </div>
        <div>
          <span className="fact-label">Column data</span>
          <span className="fact-value">
            {formatBytes(totals.c)} of {formatBytes(totals.u)}
            {totals.c > 0 ? ` (${(totals.u / totals.c).toFixed(1)}×)` : ''}
          </span>
        </div>
        <div>
          <span className="fact-label">Codec</span>
          <span className="fact-value">{codecs.join(', ') || '—'}</span>
        </div>
      </section>

      <h3>Columns</h3>
      <table className="data-table" data-testid="schema-columns">
        <thead>
          <tr>
            <th>Column</th>
            <th>Type</th>
            <th>Nullable</th>
            <th className="num">Min</th>
            <th className="num">Max</th>
            <th className="num">Nulls</th>
            <th className="num">Compressed</th>
            <th className="num">Uncompressed</th>
          </tr>
        </thead>
        <tbody>
          {info.columns.map((c) => {
            const s = summary.get(c.name);
            return (
              <tr key={c.name}>
                <td className="mono">{c.name}</td>
                <td title={`${c.type}${s?.physicalType ? `, stored as ${s.physicalType}` : ''}${s ? `, ${s.codecs.join(', ')}, ${s.encodings.join(', ')}` : ''}`}>{shortTypeName(c.type)}</td>
                <td>{c.nullable ? 'yes' : 'no'}</td>
                <td className="num mono wrap">{show(s?.min, c.type, timeMode, zone)}</td>
                <td className="num mono wrap">{show(s?.max, c.type, timeMode, zone)}</td>
                <td className="num">{s?.nulls === null || s === undefined ? '—' : formatCount(s.nulls)}</td>
                <td className="num">{formatBytes(s?.compressed)}</td>
                <td className="num">{formatBytes(s?.uncompressed)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>

      {info.files.length > 1 ? (
        <>
          <h3>Files</h3>
          <table className="data-table">
            <thead>
              <tr>
                <th>File</th>
                <th className="num">First row</th>
                <th className="num">Rows</th>
                <th className="num">Size</th>
              </tr>
            </thead>
            <tbody>
              {info.files.slice(0, MAX_GROUPS_SHOWN).map((f) => (
                <tr key={f.path}>
                  <td className="mono">{f.path}</td>
                  <td className="num">{formatCount(f.rowStart)}</td>
                  <td className="num">{formatCount(f.rows)}</td>
                  <td className="num">{formatBytes(f.bytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}

      <h3 className="with-control">
        Row groups
        <label>
          column{' '}
          <select value={column} onChange={(event) => setColumn(event.target.value)} aria-label="Column for row-group statistics">
            {info.columns.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      </h3>
      <table className="data-table" data-testid="row-groups">
        <thead>
          <tr>
            <th className="num">#</th>
            {info.files.length > 1 ? <th>File</th> : null}
            <th className="num">First row</th>
            <th className="num">Rows</th>
            <th className="num">Min</th>
            <th className="num">Max</th>
            <th className="num">Nulls</th>
            <th>Codec</th>
            <th className="num">Compressed</th>
            <th className="num">Uncompressed</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((group, i) => {
            const chunk = group.columns.find((c) => c.name === column);
            return (
              <tr key={`${group.file}:${group.rowStart}`}>
                <td className="num muted">{i}</td>
                {info.files.length > 1 ? <td className="mono">{group.file}</td> : null}
                <td className="num">{formatCount(group.rowStart)}</td>
                <td className="num">{formatCount(group.numRows)}</td>
                <td className="num mono wrap">{show(chunk?.min, typeOf.get(column) ?? '', timeMode, zone)}</td>
                <td className="num mono wrap">{show(chunk?.max, typeOf.get(column) ?? '', timeMode, zone)}</td>
                <td className="num">{chunk?.nullCount === null || chunk === undefined ? '—' : formatCount(chunk.nullCount)}</td>
                <td title={chunk ? `encodings: ${chunk.encodings.join(', ')}` : undefined}>{chunk?.compression}</td>
                <td className="num">{formatBytes(chunk?.compressedBytes)}</td>
                <td className="num">{formatBytes(chunk?.uncompressedBytes)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {info.rowGroups.length > groups.length ? <p className="muted">Showing the first {MAX_GROUPS_SHOWN} of {formatCount(info.rowGroups.length)} row groups.</p> : null}
    </div>
  );
}
