import { Type, type DataType, type Table } from 'apache-arrow';
import { BadRequestError } from '../errors.js';
import { floatColumn, timestampColumn } from '../validation/columnData.js';
import type { Dataset } from '../parquet/parquetDataset.js';

export interface ChartBar {
  /** bucket start, ms since the epoch (UTC) */
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
  /** dataset row of the bucket's first bar, for selecting it in the table */
  row: number;
}

export interface ChartSeries {
  totalRows: number;
  bucketSeconds: number;
  downsampled: boolean;
  bars: ChartBar[];
}

const NICE_BUCKETS = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 21_600, 43_200, 86_400, 172_800, 604_800, 2_592_000];

/**
 * OHLCV bars of a dataset for a chart, aggregated into at most `maxBars` buckets of a round
 * size (first open, highest high, lowest low, last close, summed volume). Rows outside
 * [fromMs, toMs] are left out. Needs timestamp, open, high, low and close columns.
 */
export async function chartSeries(dataset: Dataset, options: { fromMs?: number; toMs?: number; maxBars: number }): Promise<ChartSeries> {
  const first = dataset.files[0].handle.schema;
  const names = first.fields.map((f) => f.name);
  for (const needed of ['timestamp', 'open', 'high', 'low', 'close']) {
    if (!names.includes(needed)) throw new BadRequestError(`a chart needs a "${needed}" column; ${dataset.path} has ${names.join(', ')}`, { path: dataset.path, missing: needed });
  }
  const columns = ['timestamp', 'open', 'high', 'low', 'close', ...(names.includes('volume') ? ['volume'] : [])];
  const table: Table = await dataset.readAll(columns);
  const tsVector = table.getChild('timestamp');
  if (!tsVector || (tsVector.type as DataType).typeId !== Type.Timestamp) throw new BadRequestError(`"timestamp" in ${dataset.path} is not a timestamp column`, { path: dataset.path });
  const ts = timestampColumn(tsVector);
  const [o, h, l, c] = ['open', 'high', 'low', 'close'].map((n) => floatColumn(table.getChild(n) as NonNullable<ReturnType<Table['getChild']>>).values);
  const volumeVector = table.getChild('volume');
  const v = volumeVector ? floatColumn(volumeVector).values : null;
  const n = table.numRows;
  const ms = (i: number) => (ts.words[2 * i + 1] * 4_294_967_296 + (ts.words[2 * i] >>> 0)) / 1e6;
  let lo = 0;
  let hi = n;
  const from = options.fromMs ?? -Infinity;
  const to = options.toMs ?? Infinity;
  while (lo < hi && ms(lo) < from) lo++;
  while (hi > lo && ms(hi - 1) > to) hi--;
  const count = hi - lo;
  if (count === 0) return { totalRows: n, bucketSeconds: 0, downsampled: false, bars: [] };
  const spanSeconds = (ms(hi - 1) - ms(lo)) / 1000;
  const step = count > 1 ? Math.max(1, Math.round((ms(lo + 1) - ms(lo)) / 1000)) : 60;
  let bucketSeconds = step;
  // bucket starts are aligned to the bucket size, so a span of k buckets can touch k + 1
  if (count > options.maxBars) bucketSeconds = NICE_BUCKETS.find((b) => b >= step && spanSeconds / b <= options.maxBars - 1) ?? Math.ceil(spanSeconds / (options.maxBars - 1));
  const bucketMs = bucketSeconds * 1000;
  const bars: ChartBar[] = [];
  let current: ChartBar | null = null;
  for (let i = lo; i < hi; i++) {
    const t = ms(i);
    const start = count > options.maxBars ? Math.floor(t / bucketMs) * bucketMs : t;
    if (!current || current.t !== start) {
      current = { t: start, o: o[i], h: h[i], l: l[i], c: c[i], v: v ? v[i] : 0, row: i };
      bars.push(current);
    } else {
      if (h[i] > current.h) current.h = h[i];
      if (l[i] < current.l) current.l = l[i];
      current.c = c[i];
      if (v) current.v += v[i];
    }
  }
  return { totalRows: n, bucketSeconds, downsampled: count > options.maxBars, bars };
}
