import { beforeAll, describe, expect, it, vi } from 'vitest';

const exposed: Record<string, unknown> = {};
const invoke = vi.fn((..._args: unknown[]) => Promise.resolve({ ok: true, result: 'from main' }));
const on = vi.fn();
const removeListener = vi.fn();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
  ipcRenderer: { invoke, on, removeListener },
  webUtils: { getPathForFile: () => '/home/trader/bars.csv' },
}));

interface Bridge {
  invoke: (name: string, request: unknown) => Promise<unknown>;
  onEvent: (listener: (event: unknown) => void) => () => void;
  pathForFile: (file: unknown) => string;
}

describe('preload bridge', () => {
  let bridge: Bridge;
  beforeAll(async () => {
    await import('../../electron/preload.js');
    bridge = exposed.mesData as Bridge;
  });

  it('exposes exactly invoke, onEvent and pathForFile, frozen', () => {
    expect(Object.keys(exposed)).toEqual(['mesData']);
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'onEvent', 'pathForFile']);
    expect(Object.isFrozen(bridge)).toBe(true);
  });

  it('sends contract operations on the one invoke channel and refuses other names', async () => {
    await expect(bridge.invoke('rows.page', { path: 'raw/MES', offset: 0, limit: 1 })).resolves.toEqual({ ok: true, result: 'from main' });
    expect(invoke).toHaveBeenCalledWith('mes-data:invoke', 'rows.page', { path: 'raw/MES', offset: 0, limit: 1 });
    invoke.mockClear();
    await expect(bridge.invoke('shell.exec', { command: 'rm -rf /' })).resolves.toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'no operation "shell.exec"', details: {} } });
    expect(invoke).not.toHaveBeenCalled();
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
    expect(bridge.pathForFile({})).toBe('/home/trader/bars.csv');
  });
});
