import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiSession } from '../../core/api/handlers.js';
import { listTree } from '../../core/store/catalog.js';
import { openStore } from '../../core/store/openStore.js';
import { commitRawSnapshots } from '../../core/store/rawSnapshot.js';
import { startHttpHost, type HttpHost } from '../../cli/serve/httpHost.js';
import { barsFromCloses, barsTable } from '../helpers/barsTable.js';
import { tempDir } from '../helpers/ohlcvTable.js';

/** What the HTTP host writes once for a kept result (a tree, a page) is what it would write afresh, and follows the store. */
describe('browser-mode HTTP host: results written once', () => {
  const { dir, cleanup } = tempDir('mes-data-http-kept-');
  const root = path.join(dir, 'store');
  const staticDir = path.join(dir, 'static');
  const session = new ApiSession('browser');
  let host: HttpHost;
  const bars = (day: string, closes: number[]) => barsTable(barsFromCloses(`${day}T14:30:00Z`, 60, closes));
  const settle = () => {
    const back = (Date.now() - 60_000) / 1000;
    for (const folder of [root, ...fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).map((f) => path.join(root, f))]) {
      if (fs.lstatSync(folder).isDirectory()) fs.utimesSync(folder, back, back);
    }
  };
  const invoke = (name: string, body: unknown): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const text = JSON.stringify(body);
      const req = http.request(
        { host: '127.0.0.1', port: host.port, method: 'POST', path: `/api/invoke/${name}`, headers: { Host: `127.0.0.1:${host.port}`, Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      req.end(text);
    });

  beforeAll(async () => {
    fs.mkdirSync(staticDir);
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>MES Data</title>');
    await session.invoke('store.init', { path: root });
    await commitRawSnapshots(await openStore(root), [{ asset: 'MES', date: '2024-03-01', name: 'bars', table: bars('2024-03-01', [5000, 5001, 5002]) }]);
    settle();
    host = await startHttpHost({ session, staticDir });
  });
  afterAll(async () => {
    await host.close();
    await session.close();
    cleanup();
  });

  it('sends the kept tree as the catalog lists it, and the new tree once another process committed', async () => {
    const first = await invoke('tree', { path: '', depth: 3 });
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toEqual({ result: JSON.parse(JSON.stringify(await listTree(await openStore(root), '', { depth: 3 }))) as unknown });
    expect((await invoke('tree', { path: '', depth: 3 })).body).toBe(first.body);
    expect(session.treeIndex.treeListings).toBe(1);
    await commitRawSnapshots(await openStore(root), [{ asset: 'MES', date: '2024-03-04', name: 'bars', table: bars('2024-03-04', [5003, 5004]) }]);
    settle();
    const after = await invoke('tree', { path: '', depth: 3 });
    const dates = (JSON.parse(after.body) as { result: { children: { name: string; children?: { name: string; children?: { name: string; rows: number }[] }[] }[] } }).result.children[0].children?.[0].children?.map((d) => [d.name, d.rows]);
    expect(dates).toEqual([
      ['2024-03-01', 3],
      ['2024-03-04', 2],
    ]);
    expect(JSON.parse(after.body)).toEqual({ result: JSON.parse(JSON.stringify(await listTree(await openStore(root), '', { depth: 3 }))) as unknown });
    expect((await invoke('tree', { path: '', depth: 3 })).body).toBe(after.body);
  });

  it('sends a kept page as it was read, and the folder as it is now once a date was added', async () => {
    const page = { path: 'raw/MES', offset: 1, limit: 10, columns: ['close'] };
    const first = await invoke('rows.page', page);
    expect(JSON.parse(first.body)).toEqual({ result: { path: 'raw/MES', numRows: 5, offset: 1, columns: [{ name: 'close', type: 'Float64' }], rows: [[5001], [5002], [5003], [5004]] } });
    expect((await invoke('rows.page', page)).body).toBe(first.body);
    await commitRawSnapshots(await openStore(root), [{ asset: 'MES', date: '2024-03-05', name: 'bars', table: bars('2024-03-05', [5005]) }]);
    const after = await invoke('rows.page', page);
    expect(JSON.parse(after.body)).toEqual({ result: { path: 'raw/MES', numRows: 6, offset: 1, columns: [{ name: 'close', type: 'Float64' }], rows: [[5001], [5002], [5003], [5004], [5005]] } });
  });
});
