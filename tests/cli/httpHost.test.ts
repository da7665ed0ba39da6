import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiSession } from '../../core/api/handlers.js';
import { writeParquet } from '../../core/parquet/writeParquet.js';
import { startHttpHost, type HttpHost } from '../../cli/serve/httpHost.js';
import { ohlcvTable, tempDir } from '../helpers/ohlcvTable.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(host: HttpHost, method: string, target: string, options: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: host.port, method, path: target, headers: { Host: `127.0.0.1:${host.port}`, ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

describe('browser-mode HTTP host', () => {
  const { dir, cleanup } = tempDir();
  const store = path.join(dir, 'store');
  const staticDir = path.join(dir, 'static');
  const session = new ApiSession('browser');
  let host: HttpHost;
  const auth = () => ({ Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json' });
  const invoke = (name: string, body: unknown) => request(host, 'POST', `/api/invoke/${name}`, { headers: auth(), body: JSON.stringify(body) });

  beforeAll(async () => {
    fs.mkdirSync(staticDir);
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>MES Data</title>');
    await session.invoke('store.init', { path: store });
    fs.mkdirSync(path.join(store, 'raw', 'MES', '2024-01-03'), { recursive: true });
    await writeParquet(ohlcvTable(50), path.join(store, 'raw', 'MES', '2024-01-03', 'bars.parquet'));
    host = await startHttpHost({ session, staticDir, maxUploadBytes: 1000 });
  });
  afterAll(async () => {
    await host.close();
    await session.close();
    cleanup();
  });

  it('listens on 127.0.0.1 and prints a URL with the token', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${host.token}`);
    expect(host.token.length).toBeGreaterThanOrEqual(32);
  });

  it('refuses other interfaces unless asked', async () => {
    await expect(startHttpHost({ session, staticDir, host: '0.0.0.0' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('needs the token on every API request', async () => {
    const none = await request(host, 'POST', '/api/invoke/app.info', { body: '{}' });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toEqual({ error: { code: 'UNAUTHORIZED', message: 'a valid session token is required', details: {} } });
    const wrong = await request(host, 'POST', '/api/invoke/app.info', { headers: { Authorization: 'Bearer nope' }, body: '{}' });
    expect(wrong.status).toBe(401);
    const events = await request(host, 'GET', '/api/events?token=nope');
    expect(events.status).toBe(401);
  });

  it('checks Host and Origin, and sends no CORS headers', async () => {
    const rebound = await request(host, 'POST', '/api/invoke/app.info', { headers: { ...auth(), Host: `evil.example:${host.port}` }, body: '{}' });
    expect(rebound.status).toBe(403);
    const foreign = await request(host, 'POST', '/api/invoke/app.info', { headers: { ...auth(), Origin: 'https://evil.example' }, body: '{}' });
    expect(foreign.status).toBe(403);
    const same = await request(host, 'POST', '/api/invoke/app.info', { headers: { ...auth(), Origin: `http://127.0.0.1:${host.port}` }, body: '{}' });
    expect(same.status).toBe(200);
    expect(same.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('runs operations and maps typed errors to statuses', async () => {
    const ok = await invoke('rows.page', { path: 'raw/MES/2024-01-03', offset: 49, limit: 5, columns: ['volume'] });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ result: { path: 'raw/MES/2024-01-03', numRows: 50, offset: 49, columns: [{ name: 'volume', type: 'Int64' }], rows: [[149]] } });
    const bad = await invoke('rows.page', { path: 'raw/MES/2024-01-03', offset: 'ten', limit: 5 });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { code: 'BAD_REQUEST', details: { issues: [{ path: 'offset' }] } } });
    const missing = await invoke('rows.page', { path: 'raw/ES/2024-01-03', offset: 0, limit: 5 });
    expect(missing.status).toBe(404);
    const notJson = await request(host, 'POST', '/api/invoke/app.info', { headers: auth(), body: '{oops' });
    expect(notJson.status).toBe(400);
  });

  it('limits request bodies', async () => {
    const huge = await request(host, 'POST', '/api/invoke/app.info', { headers: auth(), body: JSON.stringify({ pad: 'x'.repeat(1_100_000) }) });
    expect(huge.status).toBe(413);
  });

  it('streams job progress and results as Server-Sent Events', async () => {
    const frames: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: host.port, path: `/api/events?token=${host.token}`, headers: { Host: `127.0.0.1:${host.port}` } }, (res) => {
        expect(res.headers['content-type']).toBe('text/event-stream');
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          frames.push(chunk);
          if (frames.join('').includes('"state":"succeeded"')) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve() : reject(e)));
    });
    await new Promise((r) => setTimeout(r, 50));
    const started = await invoke('jobs.start', { kind: 'validate', target: 'raw/MES/2024-01-03', schema: 'ohlcv' });
    expect(started.status).toBe(200);
    await done;
    const events = frames
      .join('')
      .split('\n\n')
      .filter((f) => f.startsWith('event: job'))
      .map((f) => JSON.parse(f.split('\ndata: ')[1]) as { state: string; result?: { valid: boolean } });
    expect(events[0].state).toBe('running');
    expect(events[events.length - 1]).toMatchObject({ state: 'succeeded', result: { valid: true } });
  });

  it('takes uploads into the store, within the size limit', async () => {
    const ok = await request(host, 'POST', '/api/upload?name=bars.csv', { headers: { Authorization: `Bearer ${host.token}` }, body: 'timestamp,close\n2024-01-03T15:00:00Z,5000\n' });
    expect(ok.status).toBe(200);
    const { result } = JSON.parse(ok.body) as { result: { path: string; bytes: number } };
    expect(result.bytes).toBe(42);
    expect(result.path.startsWith(path.join(store, '.uploads'))).toBe(true);
    expect(fs.readFileSync(result.path, 'utf8')).toBe('timestamp,close\n2024-01-03T15:00:00Z,5000\n');
    const big = await request(host, 'POST', '/api/upload?name=big.csv', { headers: { Authorization: `Bearer ${host.token}` }, body: Buffer.alloc(2000, 65) });
    expect(big.status).toBe(413);
    const sneaky = await request(host, 'POST', '/api/upload?name=..%2F..%2Fx', { headers: { Authorization: `Bearer ${host.token}` }, body: 'x' });
    expect(sneaky.status).toBe(400);
  });

  it('an uploaded file is ingested like a path, and its upload is removed afterwards', async () => {
    const body = 'timestamp,open,high,low,close,volume\n2024-01-05T16:00:00Z,5000,5001,4999,5000.5,7\n';
    const upload = await request(host, 'POST', '/api/upload?name=MES_up.csv', { headers: { Authorization: `Bearer ${host.token}` }, body });
    const { path: uploaded } = (JSON.parse(upload.body) as { result: { path: string } }).result;
    const started = JSON.parse((await invoke('jobs.start', { kind: 'ingest', files: [uploaded] })).body) as { result: { id: string } };
    const ended = JSON.parse((await invoke('jobs.wait', { id: started.result.id })).body) as { result: { state: string; result: { snapshots: { path: string; status: string }[] } } };
    expect(ended.result.state).toBe('succeeded');
    expect(ended.result.result.snapshots).toEqual([expect.objectContaining({ path: 'raw/MES/2024-01-05/MES_up.parquet', status: 'created' })]);
    expect(fs.existsSync(path.dirname(uploaded))).toBe(false);
  });

  it('serves the app with a strict Content-Security-Policy, never files outside it', async () => {
    const page = await request(host, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.body).toBe('<!doctype html><title>MES Data</title>');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const escape = await request(host, 'GET', '/../../etc/passwd');
    expect(escape.body).toBe('<!doctype html><title>MES Data</title>');
  });
});
