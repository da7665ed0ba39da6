import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);

interface Fuses {
  FuseV1Options: Record<string, number>;
  flipFuses: (binary: string, config: Record<string | number, unknown>) => Promise<number>;
  getCurrentFuseWire: (binary: string) => Promise<Record<string, unknown>>;
}

/**
 * A stand-in for an Electron binary: the fuse wire is a sentinel, a version byte, a length
 * byte and one byte per fuse ('1' enabled, '0' disabled), as in a real Electron 45 binary
 * (8 fuses, all at Electron's defaults: RunAsNode, cookie encryption off, NODE_OPTIONS and
 * --inspect allowed, asar integrity off, load from anywhere, V8 snapshot off, file privileges on).
 */
function fakeElectronBinary(dir: string): string {
  const file = path.join(dir, 'mes-data');
  const wire = Buffer.from([0x31, 0x30, 0x31, 0x31, 0x30, 0x30, 0x30, 0x31]);
  fs.writeFileSync(file, Buffer.concat([Buffer.alloc(64, 0x90), Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'), Buffer.from([1, wire.length]), wire, Buffer.alloc(64, 0x90)]));
  return file;
}

describe('Electron fuses', () => {
  it('the packaged binary gets RunAsNode, NODE_OPTIONS and --inspect off, cookie encryption and asar-only loading on', async () => {
    const yaml = require('js-yaml') as { load: (text: string) => { electronFuses: Record<string, boolean> } };
    const config = yaml.load(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8'));
    expect(config.electronFuses).toEqual({ runAsNode: false, enableCookieEncryption: true, enableNodeOptionsEnvironmentVariable: false, enableNodeCliInspectArguments: false, onlyLoadAppFromAsar: true });
    // electron-builder's own translation of that block for @electron/fuses, applied to a binary
    const { PlatformPackager } = require('app-builder-lib') as { PlatformPackager: { prototype: { generateFuseConfig: (fuses: unknown) => Promise<Record<string | number, unknown>> } } };
    const fuseConfig = await PlatformPackager.prototype.generateFuseConfig.call({}, config.electronFuses);
    const fuses = require('@electron/fuses') as Fuses;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-data-fuses-'));
    try {
      const binary = fakeElectronBinary(dir);
      expect(await fuses.flipFuses(binary, fuseConfig)).toBe(1);
      const wire = await fuses.getCurrentFuseWire(binary);
      const state = (name: string) => (wire[fuses.FuseV1Options[name]] === 0x31 ? 'on' : wire[fuses.FuseV1Options[name]] === 0x30 ? 'off' : String(wire[fuses.FuseV1Options[name]]));
      expect(Object.fromEntries(['RunAsNode', 'EnableCookieEncryption', 'EnableNodeOptionsEnvironmentVariable', 'EnableNodeCliInspectArguments', 'EnableEmbeddedAsarIntegrityValidation', 'OnlyLoadAppFromAsar', 'LoadBrowserProcessSpecificV8Snapshot', 'GrantFileProtocolExtraPrivileges'].map((name) => [name, state(name)]))).toEqual({
        RunAsNode: 'off',
        EnableCookieEncryption: 'on',
        EnableNodeOptionsEnvironmentVariable: 'off',
        EnableNodeCliInspectArguments: 'off',
        EnableEmbeddedAsarIntegrityValidation: 'off',
        OnlyLoadAppFromAsar: 'on',
        LoadBrowserProcessSpecificV8Snapshot: 'off',
        GrantFileProtocolExtraPrivileges: 'on',
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
