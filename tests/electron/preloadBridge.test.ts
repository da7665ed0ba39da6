import path from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { HostBridge } from '../../core/api/contract.js';

const exposed: Record<string, unknown> = {};
const invoke = vi.fn((..._args: unknown[]): Promise<unknown> => Promise.resolve({ ok: true, result: 'from main' }));
const on = vi.fn();
const removeListener = vi.fn();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
  ipcRenderer: { invoke, on, removeListener },
  webUtils: { getPathForFile: () => '/home/trader/bars.csv' },
}));

describe('preload bridge', () => {
  let bridge: HostBridge;
  beforeAll(async () => {
    await import('../../electron/preload.js');
    bridge = exposed.mesData as HostBridge;
  });

  it('exposes exactly invoke, onEvent and pathForFile, frozen', () => {
    expect(Object.keys(exposed)).toEqual(['mesData']);
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'onEvent', 'pathForFile']);
    expect(Object.isFrozen(bridge)).toBe(true);
  });

  it('sends contract operations on the one invoke channel, and passes the reply on as it came', async () => {
    await expect(bridge.invoke('rows.page', { path: 'raw/MES', offset: 0, limit: 1 })).resolves.toEqual({ ok: true, result: 'from main' });
    expect(invoke.mock.calls).toEqual([['mes-data:invoke', 'rows.page', { path: 'raw/MES', offset: 0, limit: 1 }]]);
    // the name is checked where the request is parsed, in the main process; its refusal comes back as data
    invoke.mockResolvedValueOnce({ ok: false, error: { code: 'NOT_FOUND', message: 'no operation "shell.exec"', details: {} } });
    const untyped = bridge as unknown as { invoke(name: string, request: unknown): Promise<unknown> };
    await expect(untyped.invoke('shell.exec', { command: 'rm -rf /' })).resolves.toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'no operation "shell.exec"', details: {} } });
    expect(invoke.mock.calls[1]).toEqual(['mes-data:invoke', 'shell.exec', { command: 'rm -rf /' }]);
  });

  it('forwards job events and menu commands without handing out the IPC event', () => {
    const seen: unknown[] = [];
    const off = bridge.onEvent((event) => seen.push(event));
    expect(on.mock.calls.map((call) => call[0] as string)).toEqual(['mes-data:job-event', 'mes-data:menu-command']);
    const forward = on.mock.calls[0][1] as (event: unknown, payload: unknown) => void;
    forward({ sender: 'ipc internals' }, { type: 'job', job: { id: 'j1' } });
    expect(seen).toEqual([{ type: 'job', job: { id: 'j1' } }]);
    off();
    expect(removeListener.mock.calls.map((call) => call[0] as string)).toEqual(['mes-data:job-event', 'mes-data:menu-command']);
  });

  it('gives dropped files their paths', () => {
    expect(bridge.pathForFile({} as File)).toBe('/home/trader/bars.csv');
  });

  it('bundles without zod: the contract comes in for its types only, and the bundle requires electron alone', async () => {
    // the build's own settings for the preload (scripts/build.mjs), in memory
    const result = await build({
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['electron'],
      entryPoints: ['electron/preload.ts'],
      absWorkingDir: path.resolve(import.meta.dirname, '../..'),
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const text = result.outputFiles[0].text;
    expect(Object.keys(result.metafile.inputs).sort()).toEqual(['electron/ipcChannels.ts', 'electron/preload.ts']);
    expect([...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(text.length).toBeLessThan(2_000);
  });
});
