/**
 * Ingest benchmark: our CSV ingest end to end (parse, map, Chicago time → UTC, split by
 * CME trading date, zstd Parquet per date) beside DuckDB's `COPY (SELECT * FROM
 * read_csv(…)) TO … (FORMAT parquet, COMPRESSION zstd)` on the same generated file, in the
 * same run; and the measurement that chose our CSV parser (csv-parse, papaparse and our
 * byte splitter on the same file).
 *
 *   npx tsx bench/ingestBench.ts        prints the Markdown section
 *
 * `runIngestBench()` returns the same section for the bench runner. The CSV (5,000,000
 * one-minute bars in CME hours, about 290 MB) is generated once into bench/.data/
 * (gitignored). Every measured run happens in a fresh child process, whose peak RSS (all
 * threads) is sampled every 20 ms: `maxRSS` would not do, since Linux carries a process's
 * high-water mark over into the child it forks, and the bench runner forks from a big one.
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
const ROWS = 5_000_000;
const DATA_VERSION = 'v1';
const CSV_FILE = path.join(DATA_DIR, `ingest-bars-${ROWS / 1_000_000}m-${DATA_VERSION}.csv`);
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
export async function generateCsv(file: string, rows: number): Promise<void> {
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
    case 'ours': {
      const [file, staging, threads, dry] = args;
      const { ingestFile } = await import('../core/ingest/ingestFile.js');
      const start = performance.now();
      const report = await ingestFile(file, { asset: 'MES', stagingDir: staging, dryRun: dry === 'dry' }, threads === 'default' ? {} : { writerThreads: Number(threads) });
      const cpu = process.cpuUsage();
      const ms = performance.now() - start;
      return {
        rows: report.rowsWritten,
        ms,
        maxRssBytes: peak(),
        files: report.partitions.length,
        outputBytes: report.partitions.reduce((sum, p) => sum + (p.bytes ?? 0), 0),
        cpuMs: (cpu.user + cpu.system) / 1000,
        detail: `${report.partitions[0]?.date ?? '-'} … ${report.partitions.at(-1)?.date ?? '-'}`,
      };
    }
    case 'duckdb': {
      const [file, out] = args;
      const { DuckDBInstance } = await import('@duckdb/node-api');
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      const start = performance.now();
      await connection.run(`COPY (SELECT * FROM read_csv(${sqlString(file)})) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`);
      const ms = performance.now() - start;
      const maxRssBytes = peak();
      const cpu = process.cpuUsage();
      const counted = await connection.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet(${sqlString(out)})`);
      const threads = await connection.runAndReadAll(`SELECT current_setting('threads')::BIGINT AS t`);
      connection.closeSync();
      return {
        rows: Number(counted.getRowObjects()[0].n),
        ms,
        maxRssBytes,
        files: 1,
        outputBytes: fs.statSync(out).size,
        cpuMs: (cpu.user + cpu.system) / 1000,
        detail: `threads=${String(threads.getRowObjects()[0].t)}`,
      };
    }
    case 'parser':
      return measureParser(args[0], args[1]);
    default:
      throw new Error(`unknown child mode ${mode}`);
  }
}

/**
 * One candidate parser over the whole file: records to fields, then the five numeric
 * fields to float64 (the part every candidate must do; timestamps are left aside so the
 * string parsers are not charged for our time-zone work). `ours+` adds our full
 * conversion (exact UTC nanoseconds from Chicago time, trading dates, bad-row checks).
 */
async function measureParser(name: string, file: string): Promise<ChildResult> {
  const numbers = new Float64Array(5);
  let rows = 0;
  let checksum = 0;
  const start = performance.now();
  if (name === 'csv-parse') {
    const { parse } = await import('csv-parse');
    const parser = fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(parse({ from_line: 2 }));
    await new Promise<void>((resolve, reject) => {
      parser.on('readable', () => {
        let record: string[] | null;
        while ((record = parser.read() as string[] | null) !== null) {
          for (let k = 0; k < 5; k++) numbers[k] = Number(record[k + 1]);
          checksum += numbers[3];
          rows++;
        }
      });
      parser.on('end', resolve);
      parser.on('error', reject);
    });
  } else if (name === 'papaparse') {
    const Papa = (await import('papaparse')).default;
    await new Promise<void>((resolve, reject) => {
      let first = true;
      Papa.parse<string[]>(fs.createReadStream(file, { highWaterMark: 1 << 20 }) as never, {
        fastMode: true,
        chunk: (results: { data: string[][] }) => {
          for (const record of results.data) {
            if (first) {
              first = false;
              continue;
            }
            if (record.length < 6) continue;
            for (let k = 0; k < 5; k++) numbers[k] = Number(record[k + 1]);
            checksum += numbers[3];
            rows++;
          }
        },
        complete: () => resolve(),
        error: (error: Error) => reject(error),
      });
    });
  } else if (name === 'ours') {
    const { CsvSplitter } = await import('../core/ingest/csvSplitter.js');
    const { NumberReader } = await import('../core/ingest/numberParser.js');
    const splitter = new CsvSplitter({ delimiter: ',', lineEnding: 'lf' }, 6);
    const reader = new NumberReader('.', null);
    let header = true;
    const take = (batch: ReturnType<InstanceType<typeof CsvSplitter>['push']>) => {
      for (let r = header ? 1 : 0; r < batch.rows; r++) {
        const base = r * 6;
        for (let k = 0; k < 5; k++) numbers[k] = reader.read(batch.buf, batch.starts[base + k + 1], batch.ends[base + k + 1]);
        checksum += numbers[3];
        rows++;
      }
      if (batch.rows > 0) header = false;
    };
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 2 << 20 })) take(splitter.push(chunk as Buffer));
    take(splitter.end());
  } else if (name === 'ours+') {
    const { ingestFile } = await import('../core/ingest/ingestFile.js');
    const report = await ingestFile(file, { asset: 'MES', dryRun: true, previewRows: 0 });
    rows = report.rowsWritten;
  } else throw new Error(`unknown parser ${name}`);
  const ms = performance.now() - start;
  return { rows, ms, maxRssBytes: Math.max(peakRss, process.memoryUsage.rss()), detail: checksum.toFixed(2) };
}

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
  const csvBytes = fs.statSync(CSV_FILE).size;
  // outputs stay until the end: deleting thousands of files between runs (the file system
  // discards freed blocks right away) would slow down whichever run comes next
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-ingest-bench-'));
  try {
    // the parser candidates, each once in its own process (a run reads the whole file)
    const parsers: [string, string, ChildResult][] = [];
    for (const [name, label] of [
      ['csv-parse', `csv-parse ${versionOf('csv-parse')}: stream, records as string arrays, \`Number()\` on 5 fields`],
      ['papaparse', `papaparse ${versionOf('papaparse')}: stream, \`fastMode\`, \`Number()\` on 5 fields`],
      ['ours', 'ours: byte splitter for the sniffed dialect + number reader on the bytes (no strings)'],
      ['ours+', 'ours, full conversion: + exact UTC ns from Chicago time, trading dates, checks (a dry run)'],
    ] as const) {
      log(`parser ${name}…`);
      parsers.push([name, label, await runChild(['parser', name, CSV_FILE])]);
    }

    // end to end, alternating so a burst of load elsewhere hits both alike
    const ours: ChildResult[] = [];
    const duck: ChildResult[] = [];
    for (let run = 0; run < RUNS; run++) {
      const staging = path.join(work, `ours-${run}`);
      log(`ours, run ${run + 1}/${RUNS}…`);
      ours.push(await runChild(['ours', CSV_FILE, staging, 'default', 'write']));
      const out = path.join(work, `duckdb-${run}.parquet`);
      log(`DuckDB, run ${run + 1}/${RUNS}…`);
      duck.push(await runChild(['duckdb', CSV_FILE, out]));
    }
    const otherThreads = os.availableParallelism() >= 2 ? 1 : 2;
    log(`ours with ${otherThreads} writer thread(s), and read-only (dry run)…`);
    const otherWriters = await runChild(['ours', CSV_FILE, path.join(work, 'ours-other'), String(otherThreads), 'write']);
    const dry = await runChild(['ours', CSV_FILE, path.join(work, 'dry'), 'default', 'dry']);

    const median = (results: ChildResult[], pick: (r: ChildResult) => number) => stat(results.map(pick)).median;
    const oursMs = median(ours, (r) => r.ms);
    const duckMs = median(duck, (r) => r.ms);
    const ratio = oursMs / duckMs;
    const oursRss = Math.max(...ours.map((r) => r.maxRssBytes));
    const duckRss = Math.max(...duck.map((r) => r.maxRssBytes));
    const range = (results: ChildResult[]) => {
      const s = stat(results.map((r) => r.ms));
      return `${fmtMs(s.median)} [${fmtMs(s.min)}–${fmtMs(s.max)}, n=${s.n}]`;
    };
    const rowsOk = ours.every((r) => r.rows === ROWS) && duck.every((r) => r.rows === ROWS);

    const cpu = (r: ChildResult) => (r.cpuMs === undefined ? '–' : fmtMs(r.cpuMs));
    const endToEnd = mdTable(
      ['Engine', 'Time (median)', 'Rows/s', 'CPU (all threads)', 'Peak RSS (process)', 'Output'],
      [
        [
          `ours: \`ingestFile\` (parse, map, Chicago → UTC ns, split by trading date, zstd per date; ${os.availableParallelism() >= 2 ? 2 : 1} writer thread${os.availableParallelism() >= 2 ? 's' : ''}, the default here)`,
          range(ours),
          n(ROWS / (oursMs / 1000)),
          fmtMs(median(ours, (r) => r.cpuMs ?? 0)),
          fmtMB(oursRss),
          `${n(ours[0].files ?? 0)} files, ${fmtMB(ours[0].outputBytes ?? 0)} (${ours[0].detail ?? ''})`,
        ],
        [
          `DuckDB ${versionOf('@duckdb/node-api')}: \`COPY (SELECT * FROM read_csv(…)) TO … (FORMAT parquet, COMPRESSION zstd)\``,
          range(duck),
          n(ROWS / (duckMs / 1000)),
          fmtMs(median(duck, (r) => r.cpuMs ?? 0)),
          fmtMB(duckRss),
          `1 file, ${fmtMB(duck[0].outputBytes ?? 0)} (${duck[0].detail ?? ''})`,
        ],
        ['**ours / DuckDB**', `**×${ratio.toFixed(2)}** (time)`, '', `×${(median(ours, (r) => r.cpuMs ?? 0) / median(duck, (r) => r.cpuMs ?? 1)).toFixed(2)}`, `×${(oursRss / duckRss).toFixed(2)}`, ''],
        [`ours with ${otherThreads} writer thread${otherThreads > 1 ? 's' : ''} (n=1)`, fmtMs(otherWriters.ms), n(ROWS / (otherWriters.ms / 1000)), cpu(otherWriters), fmtMB(otherWriters.maxRssBytes), `${n(otherWriters.files ?? 0)} files`],
        ['ours, dry run: read, parse, convert, split; no Parquet written (n=1)', fmtMs(dry.ms), n(ROWS / (dry.ms / 1000)), cpu(dry), fmtMB(dry.maxRssBytes), '–'],
      ],
    );
    const parserTable = mdTable(
      ['Parser', 'Rows/s', 'Time', 'Peak RSS (process)'],
      parsers.map(([, label, r]) => [label, n(r.rows / (r.ms / 1000)), fmtMs(r.ms), fmtMB(r.maxRssBytes)]),
    );
    const best = parsers.filter(([name]) => name !== 'ours+').sort((a, b) => a[2].ms - b[2].ms)[0];
    const parserRows = parsers.every(([name, , r]) => r.rows === ROWS || name === 'ours+');

    return [
      '## Ingest: CSV to Parquet per trading date',
      '',
      `A generated CSV of ${n(ROWS)} one-minute bars in CME hours (${fmtMB(csvBytes)}; \`timestamp,open,high,low,close,volume\` with naive Chicago times such as \`2010-01-03 17:00:00\`) read end to end by our \`ingestFile\` and by DuckDB in the same run, each run in a fresh process. ${generated ? 'The file was generated for this run' : 'The file was reused from'} \`bench/.data/\`. Load average at start: ${load}; ${os.cpus().length} CPUs.`,
      '',
      endToEnd,
      '',
      `The two do different amounts of work, so read the ratio with that in mind. DuckDB writes one file and keeps the naive times as \`TIMESTAMP\` (no zone); ours reads each time in America/Chicago (IANA rules), stores exact UTC nanoseconds, assigns the CME trading date (17:00 CT opens the next date) and writes one zstd file per trading date (${n(ours[0].files ?? 0)} files, each with its own footer, folder and SHA-256), streaming with bounded memory. Rows written: ${rowsOk ? `${n(ROWS)} by both in every run` : '**a count differs from the input**'}.`,
      '',
      '### Choosing the CSV parser',
      '',
      `Each candidate read the same file in its own process: records to fields, then the five numeric fields to float64.`,
      '',
      parserTable,
      '',
      `Fastest: ${best[1].split(':')[0]}. ${best[0] === 'ours' ? 'We keep our own splitter: it works on the bytes of each chunk and never makes a string per field, which is where the string-based parsers spend their time; papaparse stays a development dependency for this measurement only.' : 'A string-based parser won this run: see core/ingest before switching.'}${parserRows ? '' : ' (a parser returned a different row count)'} Parsing runs on the calling thread and Parquet encoding on writer threads, so both cores work at once; the row with ${otherThreads} writer thread${otherThreads > 1 ? 's' : ''} shows what another count does on this machine.`,
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
