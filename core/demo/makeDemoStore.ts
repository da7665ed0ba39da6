import fs from 'node:fs';
import path from 'node:path';
import { Float64, Int64, makeData, makeVector, Table, TimestampNanosecond } from 'apache-arrow';
import { takeRows } from '../arrow/takeRows.js';
import { buildFeatures } from '../features/buildFeatures.js';
import { promoteRaw } from '../promote/promoteRaw.js';
import { OHLCV_SCHEMA } from '../schema/predefinedSchemas.js';
import { initStore } from '../store/openStore.js';
import { writeRawSnapshot } from '../store/rawSnapshot.js';
import type { Store } from '../store/storeLayout.js';
import { cmeSessions } from '../time/cmeCalendar.js';
import { seededRandom as random } from './seededRandom.js';

/**
 * A demo store a newcomer can open at once: three weeks of synthetic MES one-minute bars
 * over CME Globex hours in raw (one snapshot per trading date, with a few realistic defects
 * on one date: an inconsistent bar, a repeated bar), one cleaned version (promoted with the
 * defects dropped) and two feature sets. Deterministic: the same store every time.
 */

const FIRST_DAY = Date.UTC(2024, 0, 8); // Monday 2024-01-08
const TRADING_DAYS = 15;

function sessionBars(openMs: number, closeMs: number, startPrice: number, next: () => number): { table: Table; lastClose: number } {
  const n = Math.round((closeMs - openMs) / 60_000);
  const ts = new BigInt64Array(n);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new BigInt64Array(n);
  let price = startPrice;
  for (let i = 0; i < n; i++) {
    const t = openMs + i * 60_000;
    const hourCt = (((t / 3_600_000 - 6) % 24) + 24) % 24;
    // more volume and movement in the regular session (08:30–15:15 CT)
    const busy = hourCt >= 8.5 && hourCt < 15.25;
    const step = Math.round((next() - 0.5) * (busy ? 8 : 3)) * 0.25;
    ts[i] = BigInt(t) * 1_000_000n;
    open[i] = price;
    close[i] = price + step;
    high[i] = Math.max(open[i], close[i]) + Math.floor(next() * (busy ? 4 : 2)) * 0.25;
    low[i] = Math.min(open[i], close[i]) - Math.floor(next() * (busy ? 4 : 2)) * 0.25;
    volume[i] = BigInt(Math.round((busy ? 400 : 40) * (0.3 + next() * 1.7)));
    price = close[i];
  }
  const f = (data: Float64Array) => makeVector(makeData({ type: new Float64(), length: n, data }));
  const table = new Table({
    timestamp: makeVector(makeData({ type: new TimestampNanosecond('UTC'), length: n, data: ts })),
    open: f(open),
    high: f(high),
    low: f(low),
    close: f(close),
    volume: makeVector(makeData({ type: new Int64(), length: n, data: volume })),
  });
  return { table, lastClose: price };
}

/** The same bars with two defects: bar 300's high below its close, bar 301 repeated at the end. */
function withDefects(table: Table): Table {
  const rows = Array.from({ length: table.numRows + 1 }, (_, i) => (i < table.numRows ? i : 301));
  const damaged = takeRows(table, rows);
  const high = damaged.getChild('high')?.data[0].values as Float64Array;
  high[300] -= 50;
  return damaged;
}

/** Creates the demo store in `dir` unless it is there already; returns its store. */
export async function makeDemoStore(dir: string, log: (line: string) => void = () => undefined): Promise<Store> {
  const marker = path.join(dir, '.demo-complete');
  const { store } = await initStore(dir);
  if (fs.existsSync(marker)) return store;
  log(`creating the demo store in ${dir}…`);
  const next = random(20240108);
  const sessions = cmeSessions(FIRST_DAY - 86_400_000, FIRST_DAY + 21 * 86_400_000).slice(0, TRADING_DAYS);
  let price = 4780;
  for (const [k, session] of sessions.entries()) {
    const bars = sessionBars(session.openMs, session.closeMs, price, next);
    price = bars.lastClose;
    await writeRawSnapshot(store, {
      asset: 'MES',
      date: session.date,
      name: 'MES_1min',
      table: k === 6 ? withDefects(bars.table) : bars.table,
      compression: 'zstd',
      sidecarExtras: { source: { fileName: `MES_1min_${session.date}.csv (synthetic demo data)`, timezone: 'America/Chicago' } },
    });
  }
  log('promoting raw → cleaned v1 (dropping the bad bars)…');
  await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA, onInvalid: 'drop', message: 'demo: first cleaned version' });
  log('building features…');
  await buildFeatures(store, { set: 'momentum_indicators', asset: 'MES' });
  await buildFeatures(store, { set: 'volume_profile', asset: 'MES' });
  fs.writeFileSync(marker, new Date().toISOString());
  return store;
}
