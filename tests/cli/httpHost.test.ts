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

describe('browser-mode HTTP host: what it accepts', () => {
  const { dir, cleanup } = tempDir();
  const store = path.join(dir, 'store');
  const outside = path.join(dir, 'outside');
  const staticDir = path.join(dir, 'static');
  const session = new ApiSession('browser');
  let host: HttpHost;
  const auth = () => ({ Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json' });
  const invoke = (name: string, body: unknown) => request(host, 'POST', `/api/invoke/${name}`, { headers: auth(), body: JSON.stringify(body) });
  const errorOf = (reply: Reply) => (JSON.parse(reply.body) as { error: { code: string; message: string } }).error;
  const upload = (name: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    request(host, 'POST', `/api/upload?name=${encodeURIComponent(name)}`, { headers: { Authorization: `Bearer ${host.token}`, 'Content-Length': String(Buffer.byteLength(body)), ...headers }, body });

  beforeAll(async () => {
    fs.mkdirSync(staticDir);
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>MES Data</title>');
    await session.invoke('store.init', { path: store });
    fs.mkdirSync(path.join(store, 'raw', 'MES', '2024-01-03'), { recursive: true });
    await writeParquet(ohlcvTable(50), path.join(store, 'raw', 'MES', '2024-01-03', 'bars.parquet'));
    await writeParquet(ohlcvTable(7), path.join(outside, 'secret.parquet'));
    fs.writeFileSync(path.join(outside, 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
    host = await startHttpHost({ session, staticDir, maxUploadBytes: 1000, maxUploadTotalBytes: 1500 });
  });
  afterAll(async () => {
    await host.close();
    await session.close();
    cleanup();
  });

  it('reads store paths and absolute paths inside the store, and refuses any other file with 403', async () => {
    expect((await invoke('rows.page', { path: 'raw/MES/2024-01-03', offset: 0, limit: 1 })).status).toBe(200);
    expect((await invoke('rows.page', { path: path.join(store, 'raw/MES/2024-01-03/bars.parquet'), offset: 0, limit: 1 })).status).toBe(200);
    const secret = path.join(outside, 'secret.parquet');
    for (const name of ['rows.page', 'dataset.info', 'chart.series']) {
      const reply = await invoke(name, { path: secret, offset: 0, limit: 1 });
      expect(reply.status).toBe(403);
      expect(errorOf(reply)).toEqual({ code: 'FORBIDDEN', message: `${secret} is neither in the open store nor a file uploaded or picked in this session`, details: { path: secret } });
    }
    const traversal = await invoke('rows.page', { path: '../outside/secret.parquet', offset: 0, limit: 1 });
    expect(traversal.status).toBe(400);
    expect(errorOf(traversal).code).toBe('BAD_REQUEST');
  });

  it('starts no job on a path outside the store (ingest, validate, diff)', async () => {
    const passwd = path.join(outside, 'passwd');
    const jobs = [
      { kind: 'ingest', files: [passwd], asset: 'MES' },
      { kind: 'ingest', files: ['passwd'], asset: 'MES' },
      { kind: 'validate', target: passwd, schema: 'ohlcv' },
      { kind: 'diff', a: 'raw/MES/2024-01-03', b: path.join(outside, 'secret.parquet') },
    ];
    for (const job of jobs) {
      const reply = await invoke('jobs.start', job);
      expect(reply.status, JSON.stringify(job)).toBe(403);
      expect(errorOf(reply).code).toBe('FORBIDDEN');
    }
    expect(JSON.parse((await invoke('jobs.list', {})).body)).toEqual({ result: { jobs: [] } });
  });

  it('answers malformed URL escapes and bodies with 400, never 500 or 200', async () => {
    const escape = await request(host, 'GET', '/%E0%A4%A');
    expect(escape.status).toBe(400);
    expect(errorOf(escape)).toEqual({ code: 'BAD_REQUEST', message: 'malformed escape in the URL path "/%E0%A4%A"', details: { path: '/%E0%A4%A' } });
    expect((await request(host, 'GET', '/assets/%00x.js')).status).toBe(400);
    const cases: [string | Buffer, string][] = [
      ['null', 'request body must be a JSON object, got null'],
      ['[]', 'request body must be a JSON object, got an array'],
      ['"x"', 'request body must be a JSON object, got string'],
      ['7', 'request body must be a JSON object, got number'],
      [Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), 'request body is not valid UTF-8 (8 bytes)'],
    ];
    for (const [body, message] of cases) {
      const reply = await request(host, 'POST', '/api/invoke/app.info', { headers: auth(), body });
      expect(reply.status).toBe(400);
      expect(errorOf(reply)).toMatchObject({ code: 'BAD_REQUEST', message });
    }
  });

  it('takes a version, never a path, for a feature build, and no Windows device name for a schema', async () => {
    const reply = await invoke('jobs.start', { kind: 'features', set: 'price_volatility', asset: 'MES', from: '../../v1' });
    expect(reply.status).toBe(400);
    expect(errorOf(reply)).toMatchObject({ code: 'BAD_REQUEST', message: 'bad request for jobs.start: from: expected a cleaned version, vN or N (e.g. v2)' });
    const schema = { name: 'con', version: '1.0.0', columns: [{ name: 'timestamp', type: 'timestamp' }] };
    const device = await invoke('schemas.register', { schema });
    expect(device.status).toBe(400);
    expect(errorOf(device)).toEqual({ code: 'BAD_REQUEST', message: 'schema name "con" is a device name reserved on Windows; choose another', details: { name: 'con' } });
    expect(fs.existsSync(path.join(store, 'schemas', 'con.json'))).toBe(false);
  });

  it('still checks token, Host and Origin before anything else', async () => {
    expect((await request(host, 'POST', '/api/invoke/app.info', { body: 'null' })).status).toBe(401);
    expect((await request(host, 'GET', '/%E0%A4%A', { headers: { Host: 'evil.example' } })).status).toBe(403);
    expect((await request(host, 'POST', '/api/invoke/app.info', { headers: { ...auth(), Origin: 'null' }, body: '{}' })).status).toBe(403);
  });

  it('grants a file once uploaded: it can be read and ingested in this session', async () => {
    const reply = await upload('bars.csv', 'timestamp,open,high,low,close,volume\n2024-01-05T16:00:00Z,5000,5001,4999,5000.5,7\n');
    expect(reply.status).toBe(200);
    const { path: uploaded } = (JSON.parse(reply.body) as { result: { path: string } }).result;
    expect(() => session.checkPath(uploaded, 'source')).not.toThrow();
    fs.rmSync(path.dirname(uploaded), { recursive: true });
    // a file outside the store only once granted (the desktop app grants what the user picks)
    const picked = path.join(outside, 'passwd');
    expect(() => session.checkPath(picked, 'source')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => session.checkPath(path.relative(process.cwd(), picked), 'source')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    const other = new ApiSession('browser');
    other.grantFile(picked);
    expect(() => other.checkPath(picked, 'source')).not.toThrow();
    await other.close();
    // an upload folder entry swapped for a link is not a way out either
    fs.mkdirSync(path.join(store, '.uploads', 'linked'), { recursive: true });
    fs.symlinkSync(picked, path.join(store, '.uploads', 'linked', 'passwd.csv'));
    const linked = await invoke('jobs.start', { kind: 'ingest', files: [path.join(store, '.uploads', 'linked', 'passwd.csv')], asset: 'MES' });
    expect(linked.status).toBe(422);
    expect(errorOf(linked).code).toBe('SYMLINK');
    fs.rmSync(path.join(store, '.uploads', 'linked'), { recursive: true });
  });

  it('refuses upload names that break the store name rule', async () => {
    for (const [name, code] of [['CON.csv', 'INVALID_NAME'], ['a\u0001.csv', 'INVALID_NAME'], ['.hidden', 'INVALID_NAME'], ['a:b.csv', 'INVALID_NAME'], ['', 'INVALID_NAME']] as const) {
      const reply = await upload(name, 'x');
      expect(reply.status, name).toBe(400);
      expect(errorOf(reply).code).toBe(code);
    }
  });

  it('caps the total waiting in the upload folder, and stops an endless chunked body at the cap', async () => {
    const first = await upload('one.csv', Buffer.alloc(900, 65));
    expect(first.status).toBe(200);
    // 900 waiting, 1,500 in all: a declared 700 does not fit
    const second = await upload('two.csv', Buffer.alloc(700, 65));
    expect(second.status).toBe(413);
    expect(errorOf(second)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: 'two.csv is 700 bytes; uploads waiting to be ingested already take 900 of the 1500-byte total' });
    // a chunked body with no length: cut off once it passes what is left
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: host.port, method: 'POST', path: '/api/upload?name=endless.csv', headers: { Host: `127.0.0.1:${host.port}`, Authorization: `Bearer ${host.token}`, 'Transfer-Encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve(-1) : reject(error)));
      let sent = 0;
      const pump = () => {
        while (sent < 10_000_000 && !req.destroyed) {
          sent += 1000;
          if (!req.write(Buffer.alloc(1000, 66))) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect([413, -1]).toContain(status);
    const waiting = fs.readdirSync(path.join(store, '.uploads')).map((name) => fs.readdirSync(path.join(store, '.uploads', name))).flat();
    expect(waiting).toEqual(['one.csv']);
  });

  it('removes uploads older than the expiry when the next upload comes, and verify reports them before', async () => {
    const uploads = path.join(store, '.uploads');
    const [only] = fs.readdirSync(uploads);
    const old = new Date(Date.now() - 25 * 3600_000);
    fs.utimesSync(path.join(uploads, only, 'one.csv'), old, old);
    fs.utimesSync(path.join(uploads, only), old, old);
    const verified = JSON.parse((await invoke('jobs.start', { kind: 'verify' })).body) as { result: { id: string } };
    const report = JSON.parse((await invoke('jobs.wait', { id: verified.result.id })).body) as { result: { result: { problems: { path: string; code: string; message: string }[] } } };
    const expired = report.result.result.problems.filter((p) => p.code === 'EXPIRED_UPLOAD');
    // the file system keeps the time it was given to its own precision: compare within a second
    const when = /was uploaded (\S+) and/.exec(expired[0]?.message ?? '')?.[1] ?? '';
    expect(Math.abs(Date.parse(when) - old.getTime())).toBeLessThan(1000);
    expect(expired).toEqual([
      { path: `.uploads/${only}`, code: 'EXPIRED_UPLOAD', message: `.uploads/${only} (900 bytes) was uploaded ${when} and never ingested; the browser mode removes it when it next starts` },
    ]);
    const next = await upload('three.csv', Buffer.alloc(800, 65));
    expect(next.status).toBe(200);
    expect(fs.existsSync(path.join(uploads, only))).toBe(false);
  });
});
