import { Type, type DataType, type Table, type Vector } from 'apache-arrow';
import { vectorValueToJson, type JsonValue } from '../arrow/arrowJson.js';
import { BadRequestError } from '../errors.js';
import { SESSION_TEMPLATES, tradingDateOfMs, type SessionTemplate } from '../instruments/sessionTemplates.js';
import { floatColumn, timestampColumn } from '../validation/columnData.js';
import type { JobResult } from '../api/contract.js';

/**
 * What changed between two versions of a dataset: columns added, removed or retyped, and
 * rows added, removed or changed, matched by timestamp (and asset when both have one).
 * Values compare exactly (floats bit for bit, NaN equal to NaN; timestamps in nanoseconds).
 * The rows that differ are also counted per trading date (`DateRule`).
 */

/** The diff job's result: its shape is the contract's `DiffResultSchema` (samples: `DiffSampleSchema`). */
export type DiffResult = JobResult<'diff'>;
export type DiffSample = DiffResult['samples'][number];

export interface DiffOptions {
  /** samples of each kind (default 10) */
  samples?: number;
  /** the session template of an asset, for trading dates taken from timestamps (default: CME Globex equity hours) */
  sessionOf?: (asset: string | null) => SessionTemplate;
  /** the asset the tables hold when they have no asset column (diffTables; the files' footers say it to diffParquetFiles) */
  asset?: string | null;
}

/**
 * Where a row's trading date comes from: its `date` column when both sides have one, else
 * its timestamp under the asset's session template (`tradingDateOfMs`). A pair of rows
 * takes B's date; a removed row its own.
 */
export type DateRule = { kind: 'column' } | { kind: 'session'; template: SessionTemplate };

export function dateRuleOf(bothHaveDate: boolean, asset: string | null, sessionOf: DiffOptions['sessionOf']): DateRule {
  if (bothHaveDate) return { kind: 'column' };
  return { kind: 'session', template: sessionOf ? sessionOf(asset) : SESSION_TEMPLATES.cme_globex_equity };
}

/** A trading date per row of a table, under a rule. */
function datesOf(table: Table, rule: DateRule, ns: BigInt64Array): (i: number) => string | null {
  if (rule.kind === 'column') {
    const vector = table.getChild('date') as Vector;
    return (i) => {
      const value = vectorValueToJson(vector, i);
      return typeof value === 'string' ? value.slice(0, 10) : typeof value === 'number' ? String(value) : null;
    };
  }
  const valid = table.getChild('timestamp')?.data[0]?.nullCount ? timestampColumn(table.getChild('timestamp') as Vector).valid : null;
  return (i) => (valid && valid[i] === 0 ? null : tradingDateOfMs(rule.template, Number(ns[i] / 1_000_000n) - (ns[i] < 0n && ns[i] % 1_000_000n !== 0n ? 1 : 0)));
}

type Comparer = (i: number, j: number) => boolean;

function comparerFor(a: Vector, b: Vector): Comparer {
  const ta = a.type as DataType;
  const tb = b.type as DataType;
  if (ta.typeId === Type.Float && tb.typeId === Type.Float) {
    const x = floatColumn(a);
    const y = floatColumn(b);
    return (i, j) => {
      const va = x.valid && x.valid[i] === 0 ? null : x.values[i];
      const vb = y.valid && y.valid[j] === 0 ? null : y.values[j];
      if (va === null || vb === null) return va === vb;
      return Object.is(va, vb);
    };
  }
  if (ta.typeId === Type.Timestamp && tb.typeId === Type.Timestamp) {
    const x = timestampColumn(a);
    const y = timestampColumn(b);
    return (i, j) => {
      const na = x.valid !== null && x.valid[i] === 0;
      const nb = y.valid !== null && y.valid[j] === 0;
      return na || nb ? na === nb : x.ns[i] === y.ns[j];
    };
  }
  return (i, j) => JSON.stringify(vectorValueToJson(a, i)) === JSON.stringify(vectorValueToJson(b, j));
}

interface Keys {
  ns: BigInt64Array;
  asset: (string | null)[] | null;
  order: Int32Array;
}

function keysOf(table: Table, withAsset: boolean, label: string): Keys {
  const tsVector = table.getChild('timestamp');
  if (!tsVector || (tsVector.type as DataType).typeId !== Type.Timestamp) throw new BadRequestError(`${label} has no timestamp column to match rows by`, { side: label });
  const ns = timestampColumn(tsVector).ns;
  const assetVector = withAsset ? table.getChild('asset') : null;
  const asset = assetVector ? Array.from({ length: table.numRows }, (_, i) => (assetVector.get(i) as string | null) ?? null) : null;
  const order = Int32Array.from({ length: table.numRows }, (_, i) => i);
  order.sort((x, y) => compareKeys(asset, ns, x, asset, ns, y));
  return { ns, asset, order };
}

function compareKeys(assetA: (string | null)[] | null, nsA: BigInt64Array, i: number, assetB: (string | null)[] | null, nsB: BigInt64Array, j: number): number {
  if (assetA && assetB) {
    const x = assetA[i] ?? '';
    const y = assetB[j] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return nsA[i] < nsB[j] ? -1 : nsA[i] > nsB[j] ? 1 : 0;
}

function rowJson(table: Table, i: number): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  table.schema.fields.forEach((field, k) => {
    const vector = table.getChildAt(k);
    out[field.name] = vector ? vectorValueToJson(vector, i) : null;
  });
  return out;
}

export function diffTables(a: Table, b: Table, options: DiffOptions = {}): DiffResult {
  const sampleLimit = options.samples ?? 10;
  const typesA = new Map(a.schema.fields.map((f) => [f.name, String(f.type)]));
  const typesB = new Map(b.schema.fields.map((f) => [f.name, String(f.type)]));
  const schema: DiffResult['schema'] = { added: [], removed: [], changed: [] };
  for (const [name, type] of typesB) if (!typesA.has(name)) schema.added.push({ name, type });
  for (const [name, type] of typesA) {
    const other = typesB.get(name);
    if (other === undefined) schema.removed.push({ name, type });
    else if (other !== type) schema.changed.push({ name, from: type, to: other });
  }
  const withAsset = typesA.has('asset') && typesB.has('asset');
  const key = withAsset ? ['asset', 'timestamp'] : ['timestamp'];
  const ka = keysOf(a, withAsset, 'A');
  const kb = keysOf(b, withAsset, 'B');
  const common = [...typesA.keys()].filter((name) => typesB.get(name) === typesA.get(name) && !key.includes(name));
  const comparers = common.map((name) => comparerFor(a.getChild(name) as Vector, b.getChild(name) as Vector));
  const rule = dateRuleOf(typesA.has('date') && typesB.has('date'), options.asset ?? (withAsset ? ((a.getChild('asset')?.get(0) as string | null) ?? null) : null), options.sessionOf);
  const dateA = datesOf(a, rule, ka.ns);
  const dateB = datesOf(b, rule, kb.ns);
  const perDate = new Map<string | null, { added: number; removed: number; changed: number }>();
  const count = (date: string | null, kind: 'added' | 'removed' | 'changed') => {
    let entry = perDate.get(date);
    if (!entry) perDate.set(date, (entry = { added: 0, removed: 0, changed: 0 }));
    entry[kind]++;
  };
  const byDate: DiffResult['byDate'] =
    rule.kind === 'column' ? { source: 'column', session: null, timeZone: null, dates: [] } : { source: 'session', session: rule.template.id, timeZone: rule.template.timeZone, dates: [] };
  const result: DiffResult = { key, schema, rows: { added: 0, removed: 0, changed: 0, unchanged: 0, a: a.numRows, b: b.numRows }, changedColumns: {}, byDate, samples: [] };
  const counts = { added: 0, removed: 0, changed: 0 };
  const keyJson = (table: Table, i: number) => Object.fromEntries(key.map((name) => [name, vectorValueToJson(table.getChild(name) as Vector, i)]));
  let p = 0;
  let q = 0;
  while (p < ka.order.length || q < kb.order.length) {
    const i = ka.order[p];
    const j = kb.order[q];
    const cmp = p >= ka.order.length ? 1 : q >= kb.order.length ? -1 : compareKeys(ka.asset, ka.ns, i, kb.asset, kb.ns, j);
    if (cmp < 0) {
      result.rows.removed++;
      count(dateA(i), 'removed');
      if (counts.removed++ < sampleLimit) result.samples.push({ kind: 'removed', key: keyJson(a, i), row: rowJson(a, i) });
      p++;
    } else if (cmp > 0) {
      result.rows.added++;
      count(dateB(j), 'added');
      if (counts.added++ < sampleLimit) result.samples.push({ kind: 'added', key: keyJson(b, j), row: rowJson(b, j) });
      q++;
    } else {
      let differs: string[] | null = null;
      for (let c = 0; c < comparers.length; c++) {
        if (!comparers[c](i, j)) (differs ??= []).push(common[c]);
      }
      if (differs) {
        result.rows.changed++;
        count(dateB(j) ?? dateA(i), 'changed');
        for (const name of differs) result.changedColumns[name] = (result.changedColumns[name] ?? 0) + 1;
        if (counts.changed++ < sampleLimit) {
          const changes: Record<string, { a: JsonValue; b: JsonValue }> = {};
          for (const name of differs) changes[name] = { a: vectorValueToJson(a.getChild(name) as Vector, i), b: vectorValueToJson(b.getChild(name) as Vector, j) };
          result.samples.push({ kind: 'changed', key: keyJson(a, i), changes });
        }
      } else {
        result.rows.unchanged++;
      }
      p++;
      q++;
    }
  }
  // by date, an unknown date last (as DuckDB's ORDER BY … NULLS LAST)
  const dates = [...perDate.keys()].sort((x, y) => (x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1));
  byDate.dates = dates.map((date) => ({ date, ...(perDate.get(date) as { added: number; removed: number; changed: number }) }));
  return result;
}
