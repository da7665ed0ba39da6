import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);

interface BuilderConfig {
  appId: string;
  productName: string;
  extraMetadata: { main: string };
  files: string[];
  asarUnpack: string[];
  linux: { target: string[] };
  mac: { target: string };
  win: { target: string };
}

function loadConfig(): BuilderConfig {
  const yaml = require('js-yaml') as { load: (text: string) => unknown };
  return yaml.load(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
}

describe('packaging', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'pipe' });
  }, 180_000);

  it('electron-builder accepts the configuration', async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as { validateConfiguration: (config: unknown, logger: unknown) => Promise<void> };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    const config = loadConfig();
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    expect(config).toMatchObject({ appId: 'dev.mesdata.app', productName: 'MES Data', linux: { target: ['AppImage', 'deb'] }, mac: { target: 'dmg' }, win: { target: 'nsis' } });
    await expect(validateConfiguration({ ...config, notAnOption: true }, new DebugLogger(false))).rejects.toThrow(/notAnOption/);
  });

  it('the files the package names exist after npm run build', () => {
    const config = loadConfig();
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string };
    expect(config.extraMetadata.main).toBe(pkg.main);
    for (const file of [pkg.main, 'dist/electron/preload.cjs', 'dist/electron/jobWorker.mjs', 'dist/electron/parquetDecoderThread.mjs', 'dist/electron/parquetWriterThread.mjs', 'dist/renderer/index.html']) {
      expect(fs.existsSync(path.join(ROOT, file)), file).toBe(true);
    }
    const html = fs.readFileSync(path.join(ROOT, 'dist/renderer/index.html'), 'utf8');
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script && fs.existsSync(path.join(ROOT, 'dist/renderer', script))).toBe(true);
    // the preload is sandboxed: it may require electron and nothing else
    const preload = fs.readFileSync(path.join(ROOT, 'dist/electron/preload.cjs'), 'utf8');
    expect([...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
    // modules the unpacked decoder thread loads are installed where asarUnpack says
    for (const pattern of config.asarUnpack.filter((p) => p.startsWith('node_modules/'))) {
      expect(fs.existsSync(path.join(ROOT, pattern.replace('/**', ''))), pattern).toBe(true);
    }
  });
});
