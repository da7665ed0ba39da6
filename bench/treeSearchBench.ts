/**
 * The tree's search on a large store (issue 17): `tree.search` through the host's session
 * (zod parse, the index of the catalog, the answer as JSON as a host sends it) over a store
 * of 10,000 raw snapshots, beside what each search did before the index: list the whole
 * catalog, then search it.
 *
 *   npm run bench -- treesearch          prints the section
 *   npm run bench -- treesearch --write  and puts it in docs/benchmarks.md
 *
 * The store is built in the scratch folder: one snapshot committed through the store, the
 * other 9,999 date folders made from it directly (a hard link of its file and its sidecar
 * with the date changed), as the tree reads folders and sidecars only; plus a cleaned
 * version of 20 dates. Each figure is the median of RUNS searches of the same query, with
 * the range; the load average is printed, since the machine is shared.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fmtMs, mdTable, stat } from './benchUtil.js';

const SNAPSHOTS = 10_000;
const FIRST_DATE = Date.parse('1997-01-01T00:00:00Z');
const RUNS = 15;
const TARGET_MS = 100;
const QUERIES = ['MES 2024-03', '01-02', '2019', 'MES', 'bars.parquet 1999-12', 'v1 2024'];
const log = (message: string) => process.stderr.write(`[tree search bench] ${message}\n`);
const load = () => os.loadavg()[0].toFixed(1);

const dayOf = (k: number) => new Date(FIRST_DATE + k * 86_400_000).toISOString().slice(0, 10);

/** Wall time of each run, and the process's CPU time (every thread) of each run. */
async function timedRuns(runs: number, fn: () => Promise<unknown>): Promise<ReturnType<typeof stat> & { cpu: ReturnType<typeof stat> }> {
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  return { ...stat(samples), cpu: stat(cpu) };
}

const range = (s: ReturnType<typeof stat>) => `${fmtMs(s.median)} [${fmtMs(s.min)}–${fmtMs(s.max)}]`;

export async function runTreeSearchBench(): Promise<{ markdown: string; failed: boolean }> {
  const work = fs.mkdtempSync(path.join(process.env.MES_BENCH_WORK ?? os.tmpdir(), 'mes-tree-search-bench-'));
  const { ApiSession } = await import('../core/api/handlers.js');
  const { searchCatalog, catalogStamp } = await import('../core/api/treeSearch.js');
  const { forgetCatalogListings, listTree } = await import('../core/store/catalog.js');
  const { initStore } = await import('../core/store/openStore.js');
  const { commitRawSnapshots } = await import('../core/store/rawSnapshot.js');
  const { promoteRaw } = await import('../core/promote/promoteRaw.js');
  const { OHLCV_SCHEMA } = await import('../core/schema/predefinedSchemas.js');
  const { barsFromCloses, barsTable } = await import('../tests/helpers/barsTable.js');
  const session = new ApiSession('cli');
  try {
    const root = path.join(work, 'store');
    const { store } = await initStore(root);
    const last = dayOf(SNAPSHOTS - 1);
    const bars = (day: string) => barsTable(barsFromCloses(`${day}T14:30:00Z`, 60, [5000, 5000.25, 5000.5]));
    // the last 20 days are committed through the store, so a promote can clean them
    const committed = Array.from({ length: 20 }, (_, i) => dayOf(SNAPSHOTS - 20 + i));
    await commitRawSnapshots(
      store,
      committed.map((date) => ({ asset: 'MES', date, name: 'bars', table: bars(date) })),
    );
    const source = path.join(root, 'raw', 'MES', committed[0]);
    const sidecars = path.join(root, 'catalog', 'raw', 'MES');
    const sidecar = JSON.parse(fs.readFileSync(path.join(sidecars, `${committed[0]}.json`), 'utf8')) as Record<string, unknown>;
    for (let k = 0; k < SNAPSHOTS - 20; k++) {
      const date = dayOf(k);
      fs.mkdirSync(path.join(root, 'raw', 'MES', date));
      fs.linkSync(path.join(source, 'bars.parquet'), path.join(root, 'raw', 'MES', date, 'bars.parquet'));
      fs.writeFileSync(path.join(sidecars, `${date}.json`), JSON.stringify({ ...sidecar, date, dateRange: { from: date, to: date } }));
    }
    await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA, from: committed[0], to: last, message: 'the last 20 days' });
    // a store whose last commit is older than the index's settling time, as a user's store is
    const back = (Date.now() - 60_000) / 1000;
    for (const folder of [root, ...fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).map((f) => path.join(root, f))]) {
      if (fs.lstatSync(folder).isDirectory()) fs.utimesSync(folder, back, back);
    }
    await session.invoke('store.open', { path: root });
    const loadStart = load();
    log(`store of ${SNAPSHOTS} snapshots built in ${work}; load ${loadStart}`);

    // before the index: each search listed the whole catalog, then searched it
    const before = await timedRuns(5, async () => searchCatalog(await listTree(store, ''), 'MES 2024-03', 1000));
    const beforeCold = await timedRuns(5, async () => {
      forgetCatalogListings();
      return searchCatalog(await listTree(store, ''), 'MES 2024-03', 1000);
    });
    // the first search after a job: nothing of the catalog kept
    forgetCatalogListings();
    const firstStart = performance.now();
    await session.invoke('tree.search', { query: 'MES 2024-03' });
    const firstMs = performance.now() - firstStart;
    const nodes = await session.treeIndex.size(store);
    const stamp = await timedRuns(RUNS * 4, () => Promise.resolve(catalogStamp(root)));
    const rows: string[][] = [];
    let worst = 0;
    for (const query of QUERIES) {
      let answer = { paths: [] as string[], matches: 0 };
      let bytes = 0;
      const s = await timedRuns(RUNS, async () => {
        answer = (await session.invoke('tree.search', { query })) as typeof answer;
        bytes = JSON.stringify(answer).length;
      });
      worst = Math.max(worst, s.median);
      rows.push([`\`${query}\``, `${answer.matches.toLocaleString('en-US')} (${answer.paths.length.toLocaleString('en-US')} shown)`, `${(bytes / 1000).toFixed(1)} kB`, range(s), range(s.cpu)]);
    }
    const listings = session.treeIndex.listings;
    const loadEnd = load();
    const met = worst < TARGET_MS;
    const markdown = [
      '## Tree search (issue 17)',
      '',
      `A store of ${SNAPSHOTS.toLocaleString('en-US')} raw snapshots of MES (${dayOf(0)} to ${last}, one file each) and cleaned/v1/MES of the last 20 dates: ${nodes.toLocaleString('en-US')} nodes in the catalog. \`tree.search\` through the session as a host calls it (request parsed, limit 1,000, the answer made JSON as a host sends it), ${RUNS} runs of each query, median [range]. Load average ${loadStart} at the start, ${loadEnd} at the end, on ${os.cpus().length} cores: CPU time is what a search costs, wall time adds its wait for a core.`,
      '',
      `Before the index, each search listed the whole catalog and searched it: ${range(before)} (CPU ${range(before.cpu)}) with the catalog's raw listings kept between requests, ${range(beforeCold)} (CPU ${range(beforeCold.cpu)}) with them forgotten (as after a job), 5 runs each. Now the first search (the raw listings forgotten) lists once: ${fmtMs(firstMs)}; every later one checks the store's folders (\`catalogStamp\`, ${range(stamp)}) and searches the index in memory (${listings} listing for all ${QUERIES.length * RUNS + 1} searches):`,
      '',
      mdTable(['query', 'matches', 'answer', 'search wall, median [range]', 'CPU, median [range]'], rows),
      '',
      `Target: a search over ${SNAPSHOTS.toLocaleString('en-US')} snapshots well under ${TARGET_MS} ms (median of every query): ${met ? 'met' : 'not met'} (slowest median ${fmtMs(worst)}).`,
      '',
    ].join('\n');
    return { markdown, failed: false };
  } finally {
    await session.close().catch(() => undefined);
    fs.rmSync(work, { recursive: true, force: true });
  }
}
