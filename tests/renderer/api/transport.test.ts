import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HostBridge, HostEvent, InvokeReply } from '../../../core/api/contract.js';
import { electronTransport } from '../../../renderer/src/api/transport.electron.ts';
import { webTransport, type WebHost } from '../../../renderer/src/api/transport.web.ts';
import { ApiError } from '../../../renderer/src/api/transportTypes.ts';
import { testingTransport } from '../../helpers/testingTransport.ts';

const STATUS = { store: '/stores/main', recentStores: [] };

/** A preload bridge that answers from `replies` by operation name. */
function fakeBridge(replies: Record<string, InvokeReply>): HostBridge & { sent: unknown[][]; emit: (event: HostEvent) => void } {
  const listeners: ((event: HostEvent) => void)[] = [];
  const sent: unknown[][] = [];
  return {
    sent,
    invoke: (name, request) => {
      sent.push([name, request]);
      return Promise.resolve(replies[name] as unknown as InvokeReply<typeof name>);
    },
    onEvent: (listener) => {
      listeners.push(listener);
      return () => void listeners.splice(listeners.indexOf(listener), 1);
    },
    pathForFile: (file) => `/home/trader/${file.name}`,
    emit: (event) => listeners.forEach((listener) => listener(event)),
  };
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return error;
}

describe('the electron transport', () => {
  it('calls over the bridge, turns an error reply into an ApiError, passes events and file paths on', async () => {
    const bridge = fakeBridge({
      'app.info': { ok: true, result: STATUS } as unknown as InvokeReply,
      'rows.page': { ok: false, error: { code: 'NOT_FOUND', message: 'no dataset at raw/ES', details: { path: 'raw/ES' } } },
    });
    const transport = electronTransport(bridge);
    expect(transport.host).toBe('electron');
    await expect(transport.invoke('app.info', {})).resolves.toEqual(STATUS);
    const error = await rejection(transport.invoke('rows.page', { path: 'raw/ES', offset: 0, limit: 10 }));
    expect({ code: error.code, message: error.message, details: error.details }).toEqual({ code: 'NOT_FOUND', message: 'no dataset at raw/ES', details: { path: 'raw/ES' } });
    expect(bridge.sent).toEqual([
      ['app.info', {}],
      ['rows.page', { path: 'raw/ES', offset: 0, limit: 10 }],
    ]);
    const seen: HostEvent[] = [];
    const off = transport.subscribe((event) => seen.push(event));
    bridge.emit({ type: 'menu', command: 'validate' });
    off();
    bridge.emit({ type: 'menu', command: 'promote' });
    expect(seen).toEqual([{ type: 'menu', command: 'validate' }]);
    await expect(transport.droppedFilePaths([new File(['a,b'], 'bars.csv'), new File([''], 'ticks.csv')])).resolves.toEqual(['/home/trader/bars.csv', '/home/trader/ticks.csv']);
  });
});

describe('the web transport', () => {
  function fakeHost(responses: { status: number; body: unknown }[]) {
    const requests: { url: string; method: string; headers: Record<string, string>; body: unknown }[] = [];
    const sources: { url: string; listeners: Map<string, (message: { data: string }) => void>; closed: boolean }[] = [];
    const host: WebHost = {
      fetch: (input, init) => {
        requests.push({ url: input as string, method: init?.method ?? 'GET', headers: init?.headers as Record<string, string>, body: init?.body });
        const next = responses.shift();
        if (!next) throw new Error('no response left');
        return Promise.resolve(new Response(JSON.stringify(next.body), { status: next.status }));
      },
      token: () => 'tok en',
      openEvents: (url) => {
        const source = { url, listeners: new Map<string, (message: { data: string }) => void>(), closed: false };
        sources.push(source);
        return {
          addEventListener: (type, listener) => void source.listeners.set(type, listener),
          close: () => void (source.closed = true),
        };
      },
    };
    return { host, requests, sources };
  }

  it('posts each call to /api/invoke/{name} with the token, and rejects with the host error or the HTTP status', async () => {
    const { host, requests } = fakeHost([
      { status: 200, body: { result: STATUS } },
      { status: 403, body: { error: { code: 'FORBIDDEN', message: 'bad token', details: {} } } },
      { status: 502, body: {} },
    ]);
    const transport = webTransport(host);
    expect(transport.host).toBe('web');
    await expect(transport.invoke('app.info', {})).resolves.toEqual(STATUS);
    const refused = await rejection(transport.invoke('app.info', {}));
    expect({ code: refused.code, message: refused.message }).toEqual({ code: 'FORBIDDEN', message: 'bad token' });
    const broken = await rejection(transport.invoke('app.info', {}));
    expect({ code: broken.code, message: broken.message }).toEqual({ code: 'INTERNAL', message: 'HTTP 502' });
    expect(requests[0]).toEqual({ url: '/api/invoke/app.info', method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer tok en' }, body: '{}' });
  });

  it('streams dropped files to /api/upload one by one, reporting bytes sent, and hears job events over SSE', async () => {
    const { host, requests, sources } = fakeHost([
      { status: 200, body: { result: { path: '/store/.uploads/a/bars.csv' } } },
      { status: 200, body: { result: { path: '/store/.uploads/b/day 2.csv' } } },
    ]);
    const transport = webTransport(host);
    const progress: [number, number][] = [];
    const files = [new File(['123'], 'bars.csv'), new File(['45'], 'day 2.csv')];
    await expect(transport.droppedFilePaths(files, (sent, total) => progress.push([sent, total]))).resolves.toEqual(['/store/.uploads/a/bars.csv', '/store/.uploads/b/day 2.csv']);
    expect(progress).toEqual([
      [3, 5],
      [5, 5],
    ]);
    expect(requests.map((r) => [r.url, r.headers['Content-Type'], r.body === files[requests.indexOf(r)]])).toEqual([
      ['/api/upload?name=bars.csv', 'application/octet-stream', true],
      ['/api/upload?name=day%202.csv', 'application/octet-stream', true],
    ]);

    const seen: HostEvent[] = [];
    const off = transport.subscribe((event) => seen.push(event));
    expect(sources.map((s) => s.url)).toEqual(['/api/events?token=tok%20en']);
    sources[0].listeners.get('job')?.({ data: JSON.stringify({ id: 'j1', kind: 'verify', status: 'running' }) });
    expect(seen).toEqual([{ type: 'job', job: { id: 'j1', kind: 'verify', status: 'running' } }]);
    off();
    expect(sources[0].closed).toBe(true);
  });

  it('names the file whose upload failed', async () => {
    const { host } = fakeHost([{ status: 413, body: {} }]);
    const error = await rejection(webTransport(host).droppedFilePaths([new File(['x'], 'huge.csv')]));
    expect({ code: error.code, message: error.message }).toEqual({ code: 'INTERNAL', message: 'upload of huge.csv failed: HTTP 413' });
  });
});

describe('the transport of the page', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('is chosen once: the preload bridge when the page has one, kept for every later call', async () => {
    const bridge = fakeBridge({ 'app.info': { ok: true, result: STATUS } as unknown as InvokeReply });
    vi.stubGlobal('mesData', bridge);
    const { invoke, isDesktop } = await import('../../../renderer/src/api/transport.ts');
    expect(isDesktop()).toBe(true);
    vi.stubGlobal('mesData', undefined);
    await expect(invoke('app.info', {})).resolves.toEqual(STATUS);
    expect({ desktop: isDesktop(), sent: bridge.sent }).toEqual({ desktop: true, sent: [['app.info', {}]] });
  });

  it('without a bridge it is the web one; a test installs its own', async () => {
    vi.stubGlobal('mesData', undefined);
    const transport = await import('../../../renderer/src/api/transport.ts');
    expect(transport.isDesktop()).toBe(false);
    const testing = testingTransport((name) => {
      if (name === 'app.info') return STATUS as never;
      throw Object.assign(new Error(`no answer for ${name}`), { code: 'NOT_FOUND', details: {} });
    });
    transport.installTransport(testing);
    await expect(transport.invoke('app.info', {})).resolves.toEqual(STATUS);
    const error = await rejection(transport.invoke('schemas.list', {}));
    expect({ code: error.code, message: error.message }).toEqual({ code: 'NOT_FOUND', message: 'no answer for schemas.list' });
    const seen: HostEvent[] = [];
    transport.subscribe((event) => seen.push(event));
    testing.emit({ type: 'menu', command: 'ingest-files', paths: ['/data/bars.csv'] });
    expect({ seen, calls: testing.calls, dropped: await transport.droppedFilePaths([new File([''], 'x.csv')]) }).toEqual({
      seen: [{ type: 'menu', command: 'ingest-files', paths: ['/data/bars.csv'] }],
      calls: [
        ['app.info', {}],
        ['schemas.list', {}],
      ],
      dropped: ['/dropped/x.csv'],
    });
  });
});
