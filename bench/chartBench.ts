/**
 * The chart for traders (issue 17): `chart.series` as the Chart tab asks for it while a user
 * zooms and pans eleven years of one-minute MES bars, with no indicator and with five (RSI,
 * MACD's line, signal and histogram from momentum_indicators, ATR from price_volatility),
 * each beside DuckDB answering the same windows in one query (bars and the momentum set's
 * last values per bucket, joined).
 *
 *   npm run bench -- chart                     prints the section
 *   MES_BENCH_SCALE=0.05 npm run bench -- chart   the same on 5 % of the bars, for trying it
 *
 * The store is built in the scratch folder through the API, as the app builds it: the scale
 * benchmark's bars file (bench/.data, generated there when missing) ingested, promoted with
 * `--on-invalid drop`, both feature sets built. Then, in this process: the first requests
 * (each dataset's index made), and for each zoom eight windows at seeded places, as the view
 * asks for them (the visible span and half of it on each side); a pan is ten steps of a
 * tenth of a week. Wall time and the process's CPU time (every thread, DuckDB's too) of each
 * request: on a shared machine the load average says how far wall time is from CPU time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiResponse } from '../core/api/contract.js';
import { fmtMs, mdTable, mulberry32, runJobsToEnd, sqlString, stat } from './benchUtil.js';
import { scaleData } from './scaleData.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA_DIR = path.join(ROOT, 'bench', '.data');
const TARGET_MS = 200;
const DAY = 86_400_000;
const log = (message: string) => process.stderr.write(`[chart bench] ${message}\n`);
const load = () => os.loadavg()[0].toFixed(1);
/** Ours over DuckDB: two decimals, or two significant digits below 0.1 (0.0032). */
const ratio = (r: number) => (r >= 0.1 ? r.toFixed(2) : r.toPrecision(2));

interface Sample {
  ms: number;
  cpuMs: number;
  bars: number;
  bucketSeconds: number;
}

export async function runChartBench(): Promise<{ markdown: string; failed: boolean }> {
  const scale = Number(process.env.MES_BENCH_SCALE ?? 1);
  const data = await scaleData(DATA_DIR, scale, log);
  const work = fs.mkdtempSync(path.join(process.env.MES_BENCH_WORK ?? os.tmpdir(), 'mes-chart-bench-'));
  const { ApiSession } = await import('../core/api/handlers.js');
  const { withConnection } = await import('../core/engine/duckdbEngine.js');
  const session = new ApiSession('cli');
  const loadStart = load();
  try {
    await session.invoke('store.init', { path: path.join(work, 'store') });
    await runJobsToEnd(
      session,
      [
        { kind: 'ingest', files: [path.resolve(ROOT, data.bars.files[0].file)], asset: 'MES' },
        { kind: 'promote', asset: 'MES', onInvalid: 'drop' },
        { kind: 'features', set: 'momentum_indicators', asset: 'MES' },
        { kind: 'features', set: 'price_volatility', asset: 'MES' },
      ],
      (params, ms) => log(`${params.kind} ${'set' in params ? params.set : ''} in ${fmtMs(ms)}`),
    );
    // the datasets, found in the tree as the app finds them
    const versions: string[] = [];
    const walk = (node: ApiResponse<'tree'>) => {
      if (node.kind === 'version') versions.push(node.path);
      for (const child of node.children ?? []) walk(child);
    };
    walk((await session.invoke('tree', { path: '' })) as ApiResponse<'tree'>);
    const find = (what: string) => {
      const found = versions.find((v) => v.includes(what));
      if (!found) throw new Error(`no version of ${what} in the store: ${versions.join(', ')}`);
      return found;
    };
    const bars = find('cleaned/');
    const momentum = find('momentum_indicators');
    const volatility = find('price_volatility');
    const features = [
      ...['rsi_14', 'macd_line', 'macd_signal', 'macd_histogram'].map((column) => ({ path: momentum, column })),
      { path: volatility, column: 'atr_14' },
    ];
    const call = async (request: { fromMs?: number; toMs?: number; features?: typeof features }): Promise<Sample> => {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const answer = (await session.invoke('chart.series', { path: bars, maxBars: 2000, ...request })) as ApiResponse<'chart.series'>;
      const ms = performance.now() - started;
      const used = process.cpuUsage(cpu);
      return { ms, cpuMs: (used.user + used.system) / 1000, bars: answer.bars.length, bucketSeconds: answer.bucketSeconds };
    };

    const firstBars = await call({});
    const firstFeatures = await call({ features });
    log(`first requests: ${fmtMs(firstBars.ms)} (bars), ${fmtMs(firstFeatures.ms)} (five indicators)`);

    const zooms: [string, number][] = [
      ['whole history', 0],
      ['1 year', 365 * DAY],
      ['30 days', 30 * DAY],
      ['1 week', 7 * DAY],
      ['1 session', DAY],
      ['2 hours', 2 * 3_600_000],
    ];
    const first = data.bars.firstMs;
    const last = data.bars.lastMs;
    const windows = (span: number): { fromMs?: number; toMs?: number }[] => {
      if (span === 0) return Array.from({ length: 8 }, () => ({}));
      const random = mulberry32(17);
      return Array.from({ length: 8 }, () => {
        const from = first + Math.floor(random() * Math.max(1, last - first - span));
        return { fromMs: from - span / 2, toMs: from + span * 1.5 };
      });
    };
    const pan = Array.from({ length: 10 }, (_, k) => {
      const from = first + (last - first) / 2 + k * 0.7 * DAY;
      return { fromMs: from - 3.5 * DAY, toMs: from + 10.5 * DAY };
    });

    // DuckDB's answer to the same window: bars and the momentum set's values per bucket, joined (as ours chose the bucket)
    const glob = (dataset: string) => sqlString(path.join(work, 'store', dataset, '**', '*.parquet'));
    const duck = async (request: { fromMs?: number; toMs?: number }, bucketSeconds: number, withFeatures: boolean): Promise<number> => {
      const where = request.fromMs === undefined || request.toMs === undefined ? '' : ` WHERE "timestamp" >= to_timestamp(${request.fromMs / 1000}) AND "timestamp" <= to_timestamp(${request.toMs / 1000})`;
      const bucket = `time_bucket(to_seconds(${Math.max(1, bucketSeconds)}), "timestamp")`;
      const barsSql = `SELECT ${bucket} AS t, arg_min("open", "timestamp") AS o, max(high) AS h, min(low) AS l, arg_max("close", "timestamp") AS c, sum(volume) AS v FROM read_parquet(${glob(bars)})${where} GROUP BY t`;
      const featureSql = `SELECT ${bucket} AS t, ${['rsi_14', 'macd_line', 'macd_signal', 'macd_histogram'].map((c) => `arg_max(${c}, "timestamp") AS ${c}`).join(', ')} FROM read_parquet(${glob(momentum)})${where} GROUP BY t`;
      const sql = withFeatures ? `SELECT * FROM (${barsSql}) b LEFT JOIN (${featureSql}) f USING (t) ORDER BY t` : `${barsSql} ORDER BY t`;
      const started = performance.now();
      await withConnection((db) => db.rows(sql, 'the chart benchmark'));
      return performance.now() - started;
    };

    const rows: string[][] = [];
    let met = true;
    for (const withFeatures of [false, true]) {
      for (const [label, requests] of [...zooms.map(([name, span]) => [name, windows(span)] as const), ['pan a week, 10 steps', pan] as const]) {
        const samples: Sample[] = [];
        const duckMs: number[] = [];
        for (const request of requests) {
          const sample = await call(withFeatures ? { ...request, features } : request);
          samples.push(sample);
          duckMs.push(await duck(request, sample.bucketSeconds, withFeatures));
        }
        const wall = stat(samples.map((s) => s.ms));
        const cpu = stat(samples.map((s) => s.cpuMs));
        const peer = stat(duckMs);
        met &&= wall.median < TARGET_MS;
        const buckets = [...new Set(samples.map((s) => s.bucketSeconds))].join('/');
        rows.push([
          `${label}${withFeatures ? ', 5 indicators' : ''}`,
          `${fmtMs(wall.median)} [${fmtMs(wall.min)}–${fmtMs(wall.max)}]`,
          `${fmtMs(cpu.median)} [${fmtMs(cpu.max)}]`,
          `${Math.round(stat(samples.map((s) => s.bars)).median).toLocaleString('en-US')} bars of ${buckets} s`,
          `${fmtMs(peer.median)} [${fmtMs(peer.min)}–${fmtMs(peer.max)}]`,
          ratio(wall.median / peer.median),
        ]);
      }
    }
    const loadEnd = load();
    const markdown = [
      '## Chart with indicators (issue 17)',
      '',
      `${data.bars.files[0].rows.toLocaleString('en-US')} one-minute MES bars (${new Date(first).toISOString().slice(0, 10)} to ${new Date(last).toISOString().slice(0, 10)}), promoted, with momentum_indicators and price_volatility built from them; \`chart.series\` in this process, maxBars 2,000, each zoom at 8 seeded windows as the view asks (its span and half of it on each side), a pan in 10 steps of 0.7 days over two-week windows. "5 indicators": RSI, MACD line, signal and histogram, ATR. DuckDB: one GROUP BY of the same window in buckets of the size ours chose (bars; with indicators, LEFT JOIN the momentum set's last value per bucket), in the same engine. Load average ${loadStart} at the start, ${loadEnd} at the end, on ${os.cpus().length} cores: CPU time is what a request costs (every thread of the process, DuckDB's too), wall time adds its wait for a core.`,
      '',
      `First requests (each dataset's index made once while its files are unchanged): ${fmtMs(firstBars.ms)} for the bars (CPU ${fmtMs(firstBars.cpuMs)}), then ${fmtMs(firstFeatures.ms)} to add the five indicators (CPU ${fmtMs(firstFeatures.cpuMs)}).`,
      '',
      mdTable(['later requests', 'wall, median [range]', 'CPU, median [max]', 'answer', 'DuckDB, median [range]', 'ours / DuckDB'], rows),
      '',
      `Target: every later request under ${TARGET_MS} ms (median wall time): ${met ? 'met' : 'not met'}.`,
      '',
    ].join('\n');
    return { markdown, failed: false };
  } finally {
    await session.close().catch(() => undefined);
    fs.rmSync(work, { recursive: true, force: true });
  }
}
