import os from 'node:os';
import { afterAll, describe, expect, it, vi } from 'vitest';

/**
 * electron/main.ts as Electron runs it, with Electron replaced: an error thrown inside its
 * start (here by the session's header hook) must end in a dialog and exit code 1, not in a
 * process left running without a window.
 */
const calls: string[] = [];
const showErrorBox = vi.fn((title: string, content: string) => void calls.push(`dialog ${title}: ${content}`));
const exit = vi.fn((code: number) => void calls.push(`exit ${code}`));
const BrowserWindow = vi.fn(() => void calls.push('window'));

vi.mock('electron', () => ({
  app: {
    isPackaged: false,
    requestSingleInstanceLock: () => true,
    on: () => undefined,
    whenReady: () => Promise.resolve(),
    getPath: () => os.tmpdir(),
    exit,
    quit: () => void calls.push('quit'),
  },
  session: {
    defaultSession: {
      webRequest: {
        onHeadersReceived: () => {
          throw new Error('the header hook is not available');
        },
      },
    },
  },
  dialog: { showErrorBox },
  BrowserWindow,
  ipcMain: { handle: () => undefined },
  Menu: { buildFromTemplate: () => ({}), setApplicationMenu: () => undefined },
  shell: { openExternal: () => Promise.resolve() },
}));

describe('the main process start', () => {
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  afterAll(() => stderr.mockRestore());

  it('an error inside onReady shows a dialog naming it, then exits with code 1, with no window', async () => {
    await import('../../electron/main.js');
    await vi.waitFor(() => expect(exit).toHaveBeenCalled());
    expect(calls).toEqual(['dialog MES Data could not start: INTERNAL: the header hook is not available', 'exit 1']);
    expect(BrowserWindow).not.toHaveBeenCalled();
    expect(stderr.mock.calls.map((call) => String(call[0]))).toContain('MES Data could not start: INTERNAL: the header hook is not available\n');
  });
});
