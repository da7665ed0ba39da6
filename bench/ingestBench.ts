/**
 * Ingest benchmark: `mes-data ingest` end to end (read, map, Chicago time → UTC, split by CME
 * trading date, zstd Parquet per date, committed as raw snapshots of a fresh store) beside
 * DuckDB doing the same conversion and partitioned write,
 * `COPY (SELECT timezone('America/Chicago', ts), …, (ts + INTERVAL 7 HOUR)::DATE AS date
 * FROM read_csv(…)) TO … (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date))`, on the
 * same generated file in the same run, with our reader and through DuckDB; and 25 years of
 * daily bars for three symbols.
 *
 *   npx tsx bench/ingestBench.ts        prints the Markdown section
 *
 * `runIngestBench()` returns the same section for the bench runner. The CSV (4,100,000
 * one-minute bars in CME hours, about 215 MB, 11 years, 2,972 trading dates) is generated
 * once into bench/.data/ (gitignored). Every measured run happens in a fresh child process,
 * whose peak RSS (all threads) is sampled every 20 ms: `maxRSS` would not do, since Linux
 * carries a process's high-water mark over into the child it forks, and the bench runner
 * forks from a big one.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmtMB, fmtMs, mdTable, mulberry32, sqlString, stat } from './benchUtil.js';

const THIS_FILE = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(THIS_FILE), '..');
const DATA_DIR = path.join(ROOT, 'bench', '.data');
const ROWS = 4_100_000;
const DATA_VERSION = 'v1';
const CSV_FILE = path.join(DATA_DIR, `ingest-bars-${ROWS / 1_000_000}m-${DATA_VERSION}.csv`);
/** Daily bars, 25 years, as Yahoo exports them (`Date,Open,High,Low,Close,Adj Close,Volume`). */
const DAILY_SYMBOLS = ['NVDA', 'AAPL', 'SPY'];
const dailyFile = (symbol: string) => path.join(DATA_DIR, `daily-25y-${symbol}-${DATA_VERSION}.csv`);
/** Alternating runs of ours and DuckDB; the median is reported. */
const RUNS = 3;

interface ChildResult {
  rows: number;
  ms: number;
  maxRssBytes: number;
  files?: number;
  outputBytes?: number;
  /** CPU time of the whole process (all threads), user + system. */
  cpuMs?: number;
  /** The commit of the staged snapshots into the store (ingest into a store only). */
  commitMs?: number;
  detail?: string;
}

const n = (value: number) => Math.round(value).toLocaleString('en-US');
const log = (message: string) => process.stderr.write(`[ingest bench] ${message}\n`);

// ---------------------------------------------------------------- the data

/**
 * One-minute bars in CME Globex hours, as a trader's export writes them: naive Chicago
 * time `YYYY-MM-DD HH:MM:SS`, prices on 0.25 ticks (a random walk), integer volume.
 * Sessions run Sunday 17:00 to Friday 16:00 with the daily 16:00–17:00 break, so DST
 * never produces a missing or repeated bar. Written to a temporary name, then renamed.
 */
async function generateCsv(file: string, rows: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  const out = fs.createWriteStream(temp);
  const random = mulberry32(42);
  const two = (k: number) => String(k).padStart(2, '0');
  const clock = Array.from({ length: 1440 }, (_, m) => `${two(Math.floor(m / 60))}:${two(m % 60)}:00`);
  let ticks = 5000 * 4;
  let written = 0;
  let chunk = 'timestamp,open,high,low,close,volume\n';
  // Sunday 2010-01-03
  for (let day = Date.UTC(2010, 0, 3); written < rows; day += 86_400_000) {
    const date = new Date(day);
    const weekday = date.getUTCDay();
    if (weekday === 6) continue;
    const prefix = `${date.getUTCFullYear()}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())} `;
    for (let minute = 0; minute < 1440 && written < rows; minute++) {
      const hour = minute / 60;
      const open = weekday === 0 ? hour >= 17 : weekday === 5 ? hour < 16 : hour < 16 || hour >= 17;
      if (!open) continue;
      const o = ticks;
      const c = o + Math.round((random() - 0.5) * 8 + (20_000 - ticks) * 0.001);
      const h = Math.max(o, c) + Math.floor(random() * 3);
      const l = Math.min(o, c) - Math.floor(random() * 3);
      const volume = 1 + Math.floor(random() * random() * 5000);
      chunk += `${prefix}${clock[minute]},${o / 4},${h / 4},${l / 4},${c / 4},${volume}\n`;
      ticks = c;
      written++;
      if (chunk.length > 1 << 20) {
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        chunk = '';
      }
    }
  }
  await new Promise<void>((resolve, reject) => out.end(chunk, () => resolve()).on('error', reject));
  fs.renameSync(temp, file);
}

/** 25 years of weekday daily bars (2000-01-03 to 2024-12-31), a random walk in cents. */
function generateDaily(file: string, seed: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const random = mulberry32(seed);
  const lines = ['Date,Open,High,Low,Close,Adj Close,Volume'];
  let cents = 10_000;
  for (let day = Date.UTC(2000, 0, 3); day <= Date.UTC(2024, 11, 31); day += 86_400_000) {
    const weekday = new Date(day).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    const open = cents;
    const close = Math.max(100, open + Math.round((random() - 0.5) * 400));
    const high = Math.max(open, close) + Math.floor(random() * 100);
    const low = Math.max(1, Math.min(open, close) - Math.floor(random() * 100));
    lines.push(`${new Date(day).toISOString().slice(0, 10)},${open / 100},${high / 100},${low / 100},${close / 100},${(close * 0.98) / 100},${1 + Math.floor(random() * 5e7)}`);
    cents = close;
  }
  fs.writeFileSync(`${file}.tmp`, `${lines.join('\n')}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

// ---------------------------------------------------------------- child processes

function runChild(args: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(THIS_FILE, ['--child', ...args], { execArgv: process.execArgv, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let result: ChildResult | null = null;
    child.on('message', (message) => {
      result = message as ChildResult;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && result) resolve(result);
      else reject(new Error(`benchmark child ${args.join(' ')} exited with code ${code}`));
    });
  });
}

let peakRss = 0;
function samplePeakRss(): () => number {
  const sample = () => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  };
  sample();
  const timer = setInterval(sample, 20);
  timer.unref();
  return () => {
    sample();
    return peakRss;
  };
}

async function child(mode: string, args: string[]): Promise<ChildResult> {
  const peak = samplePeakRss();
  switch (mode) {
    case 'store': {
      // `mes-data ingest` as the job runs it: a fresh store, every file of the command in one commit
      const [root, asset, engine, ...files] = args;
      const { initStore, openStore } = await import('../core/store/openStore.js');
      const { ingestIntoStore } = await import('../core/store/ingestIntoStore.js');
      await initStore(root);
      const store = await openStore(root);
      const start = performance.now();
      let committing = 0;
      const result = await ingestIntoStore(store, files, {
        asset,
        engine: engine as 'duckdb' | 'ours',
        progress: (p) => {
          if (p.stage === 'committing' && committing === 0) committing = performance.now();
        },
      });
      const end = performance.now();
      const ms = end - start;
      const cpu = process.cpuUsage();
      const bytes = result.snapshots.reduce((sum, s) => sum + fs.statSync(path.join(root, s.path)).size, 0);
      return {
        rows: result.rowsWritten,
        ms,
        maxRssBytes: peak(),
        files: result.snapshots.length,
        outputBytes: bytes,
        cpuMs: (cpu.user + cpu.system) / 1000,
        commitMs: committing > 0 ? end - committing : 0,
        detail: `${result.files.map((f) => f.engine).join(', ')}; ${result.snapshots[0]?.date ?? '-'} … ${result.snapshots.at(-1)?.date ?? '-'}`,
      };
    }
    case 'duckdb': {
      const [file, out] = args;
      const { DuckDBInstance } = await import('@duckdb/node-api');
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      const start = performance.now();
      await connection.run(DUCKDB_SQL(file, out));
      const ms = performance.now() - start;
      const maxRssBytes = peak();
      const cpu = process.cpuUsage();
      const counted = await connection.runAndReadAll(`SELECT count(*)::BIGINT AS n, count(DISTINCT filename)::BIGINT AS f FROM read_parquet(${sqlString(`${out}/*/*.parquet`)}, filename = true)`);
      const threads = await connection.runAndReadAll(`SELECT current_setting('threads')::BIGINT AS t`);
      connection.closeSync();
      const row = counted.getRowObjects()[0];
      return { rows: Number(row.n), ms, maxRssBytes, files: Number(row.f), cpuMs: (cpu.user + cpu.system) / 1000, detail: `threads=${String(threads.getRowObjects()[0].t)}` };
    }
    default:
      throw new Error(`unknown child mode ${mode}`);
  }
}

/** DuckDB doing what ingest does: naive Chicago times to UTC instants, the CME trading date, one zstd file per date. */
const DUCKDB_SQL = (file: string, out: string) =>
  `COPY (SELECT timezone('America/Chicago', timestamp) AS timestamp, open, high, low, close, volume, (timestamp + INTERVAL 7 HOUR)::DATE AS date ` +
  `FROM read_csv(${sqlString(file)})) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date))`;

// ---------------------------------------------------------------- the section

function versionOf(pkg: string): string {
  try {
    const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string };
    return json.version;
  } catch {
    return '?';
  }
}

function removeQuietly(target: string): void {
  fs.rmSync(target, { recursive: true, force: true });
}

export async function runIngestBench(): Promise<string> {
  const load = os.loadavg().map((x) => x.toFixed(2)).join(', ');
  const began = performance.now();
  let generated = false;
  if (!fs.existsSync(CSV_FILE)) {
    log(`generating ${path.relative(ROOT, CSV_FILE)} (${n(ROWS)} rows)…`);
    await generateCsv(CSV_FILE, ROWS);
    generated = true;
  }
  DAILY_SYMBOLS.forEach((symbol, k) => {
    if (!fs.existsSync(dailyFile(symbol))) generateDaily(dailyFile(symbol), 7 + k);
  });
  const csvBytes = fs.statSync(CSV_FILE).size;
  // outputs stay until the end: deleting thousands of files between runs (the file system
  // discards freed blocks right away) would slow down whichever run comes next
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-ingest-bench-'));
  try {
    // end to end, alternating so a burst of load elsewhere hits all alike
    const ours: ChildResult[] = [];
    const viaDuck: ChildResult[] = [];
    const duck: ChildResult[] = [];
    for (let run = 0; run < RUNS; run++) {
      log(`ingest into a store (our reader), run ${run + 1}/${RUNS}…`);
      ours.push(await runChild(['store', path.join(work, `store-${run}`), 'MES', 'ours', CSV_FILE]));
      log(`ingest into a store (through DuckDB), run ${run + 1}/${RUNS}…`);
      viaDuck.push(await runChild(['store', path.join(work, `store-duck-${run}`), 'MES', 'duckdb', CSV_FILE]));
      log(`DuckDB, run ${run + 1}/${RUNS}…`);
      duck.push(await runChild(['duckdb', CSV_FILE, path.join(work, `duckdb-${run}`)]));
    }
    log('25 years of daily bars, three symbols…');
    const daily: ChildResult[] = [];
    for (const symbol of DAILY_SYMBOLS) daily.push(await runChild(['store', path.join(work, `daily-${symbol}`), symbol, 'ours', dailyFile(symbol)]));
    const dailyBytes = DAILY_SYMBOLS.reduce((sum, symbol) => sum + fs.statSync(dailyFile(symbol)).size, 0);

    const median = (results: ChildResult[], pick: (r: ChildResult) => number) => stat(results.map(pick)).median;
    const oursMs = median(ours, (r) => r.ms);
    const duckMs = median(duck, (r) => r.ms);
    const oursCpu = median(ours, (r) => r.cpuMs ?? 0);
    const duckCpu = median(duck, (r) => r.cpuMs ?? 0);
    const oursRss = Math.max(...ours.map((r) => r.maxRssBytes));
    const duckRss = Math.max(...duck.map((r) => r.maxRssBytes));
    const range = (results: ChildResult[]) => {
      const s = stat(results.map((r) => r.ms));
      return `${fmtMs(s.median)} [${fmtMs(s.min)}–${fmtMs(s.max)}, n=${s.n}]`;
    };
    const rowsOk = [...ours, ...viaDuck, ...duck].every((r) => r.rows === ROWS);

    const viaMs = median(viaDuck, (r) => r.ms);
    const row = (label: string, results: ChildResult[]) => [
      label,
      range(results),
      n(ROWS / (median(results, (r) => r.ms) / 1000)),
      fmtMs(median(results, (r) => r.cpuMs ?? 0)),
      fmtMB(Math.max(...results.map((r) => r.maxRssBytes))),
      `${n(results[0].files ?? 0)} snapshots, ${fmtMB(results[0].outputBytes ?? 0)}; commit ${fmtMs(median(results, (r) => r.commitMs ?? 0))} (${((median(results, (r) => r.commitMs ?? 0) / Math.max(1, results[0].files ?? 1)) * 1000).toFixed(0)} µs per snapshot)`,
    ];
    const endToEnd = mdTable(
      ['Work', 'Time (median)', 'Rows/s', 'CPU (all threads)', 'Peak RSS (process)', 'Output'],
      [
        row('`mes-data ingest` into a fresh store, our reader (the default): parse, Chicago → UTC µs, trading dates, zstd per date on two writer threads, one commit', ours),
        row('the same through DuckDB (`MES_DATA_INGEST_ENGINE=duckdb`): the COPY with the checks that keep it exact, footers, order fixes, one commit', viaDuck),
        [`DuckDB ${versionOf('@duckdb/node-api')}: the partitioned COPY above, nothing committed`, range(duck), n(ROWS / (duckMs / 1000)), fmtMs(duckCpu), fmtMB(duckRss), `${n(duck[0].files ?? 0)} files (${duck[0].detail ?? ''})`],
        ['**ours / DuckDB**', `**×${(oursMs / duckMs).toFixed(2)}** (time)`, '', `×${(oursCpu / duckCpu).toFixed(2)}`, `×${(oursRss / duckRss).toFixed(2)}`, ''],
        ['through DuckDB / DuckDB', `×${(viaMs / duckMs).toFixed(2)}`, '', `×${(median(viaDuck, (r) => r.cpuMs ?? 0) / duckCpu).toFixed(2)}`, '', ''],
      ],
    );
    const dailyTable = mdTable(
      ['Symbol', 'Rows', 'Time', 'Snapshots (files)', 'On disk'],
      daily.map((r, k) => [DAILY_SYMBOLS[k], n(r.rows), fmtMs(r.ms), n(r.files ?? 0), fmtMB(r.outputBytes ?? 0)]),
    );

    return [
      '## Ingest: CSV to raw snapshots per trading date',
      '',
      `A generated CSV of ${n(ROWS)} one-minute bars in CME hours (${fmtMB(csvBytes)}, 11 years; \`timestamp,open,high,low,close,volume\` with naive Chicago times such as \`2010-01-03 17:00:00\`), ingested end to end into a fresh store and written by DuckDB in the same run, alternating, each run in a fresh process. ${generated ? 'The file was generated for this run' : 'The file was reused from'} \`bench/.data/\`. Load average at start: ${load}; ${os.cpus().length} CPUs.`,
      '',
      'DuckDB\'s side of the comparison, the same conversion as ours:',
      '',
      '```sql',
      DUCKDB_SQL('bars.csv', 'out'),
      '```',
      '',
      endToEnd,
      '',
      `Ours does DuckDB's work and then what a store needs: each file's own footer keys (asset, trading date, source), its SHA-256 and content digest, a sidecar per date checked against the JSON Schema, and an all-or-nothing commit (journal, one rename per date folder, one file-system sync for the batch; before, the commit alone took 38 s for 3,624 dates). On this 2-core machine our reader stages the file faster than the DuckDB path, whose COPY carries the checks that keep it exact (a regular expression per timestamp, the DST hours, whole counts, the row position) and which then rewrites each footer and the dates it wrote out of order; so our reader is the default and the DuckDB path one setting away (\`MES_DATA_INGEST_ENGINE=duckdb\`, or \`engine\`) where it measures faster. Rows written: ${rowsOk ? `${n(ROWS)} in every run` : '**a count differs from the input**'}.`,
      '',
      `### Daily bars: one snapshot per calendar year`,
      '',
      `25 years of daily bars per symbol (${fmtMB(dailyBytes)} of CSV for the three), each file ingested into a fresh store. Before, every date was a snapshot of one row (4,012 folders for 16 years of NVDA).`,
      '',
      dailyTable,
      '',
      '### What stays hand-written in ingest, and why',
      '',
      `- **Our CSV reader** (core/ingest/csvSplitter.ts, rowConverter.ts, timestampParser.ts): measured faster here (${fmtMs(oursMs)} end to end against ${fmtMs(viaMs)} through DuckDB, above), and the only one with the semantics DuckDB lacks: the DST gap and repeat policies (\`shift\`, \`infer\` from the previous row, \`reject\`), US, European and compact date spellings, split date and time columns, decimal commas and thousands separators, nanosecond timestamps kept exact, bad rows reported with their line and reason. The DuckDB path reads the CSVs it can read exactly as ours (ISO 8601 timestamps with at most six fraction digits, a decimal point, no text columns) and hands every other file to ours.`,
      '- **Row order after the COPY** (core/ingest/duckdbCsvIngest.ts): a partitioned COPY does not keep rows in order within a date (one file per thread and date, and even one thread moved a run of rows of a date behind the rest: about 100 of the 2,972 dates of this file). Each row carries its position in the CSV (`WITH ORDINALITY`, which keeps the scan parallel); one aggregate finds the dates whose file is not in order, and only those are rewritten, sorted, with a COPY each.',
      '- **The Parquet footer** (core/ingest/parquetFooter.ts): DuckDB writes the same key-value metadata into every file of a partitioned COPY; each raw file must name its own trading date and must not keep the row-position column, so the footer is rewritten in place (one small write per file: the keys replaced, the column taken out of the schema and the row groups, its pages left as unused bytes) and the file hashed in the same read. Re-encoding the files through a Parquet library, as the store did before, cost about 10 ms a file.',
      '- **Nanosecond data** (sub-microsecond digits, epoch nanoseconds): DuckDB 1.5 reads Parquet nanoseconds as microseconds and parses at most six fraction digits, so these files stay with our reader and parquet-wasm, which store `Timestamp<NANOSECOND, UTC>` exactly.',
      '',
      `Whole benchmark: ${fmtMs(performance.now() - began)}.`,
      '',
    ].join('\n');
  } finally {
    removeQuietly(work);
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (invokedDirectly && process.argv[2] === '--child') {
  child(process.argv[3], process.argv.slice(4)).then(
    (result) => {
      process.send?.(result);
      // worker threads and DuckDB would keep the process alive a little longer
      setImmediate(() => process.exit(0));
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else if (invokedDirectly) {
  runIngestBench().then(
    (markdown) => process.stdout.write(`${markdown}\n`),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
