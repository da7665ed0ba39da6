import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { _electron as electron, type ElectronApplication } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findElectronBinary } from '../../scripts/electronBinary.mjs';
import { tempDir } from '../helpers/ohlcvTable.js';
import { AppPage } from './pages/appPage.js';
import * as scenarios from './scenarios.js';
import { ROOT } from './support/buildRenderer.js';
import { buildStore } from './support/storeFixtures.js';

/**
 * The same scenarios in the desktop app: Electron's main process, the preload bridge and
 * IPC instead of HTTP. Electron's binary is fetched on its first launch from outside the
 * package registry, so on machines without it this suite is skipped, saying why.
 */
const binary = findElectronBinary();
const missing = 'missing' in binary ? binary.missing : null;

describe.skipIf(missing !== null)(`the desktop app (Electron)${missing ? ` — skipped: ${missing}` : ''}`, () => {
  const { dir, cleanup } = tempDir('mes-data-e2e-electron-');
  const storeDir = path.join(dir, 'store');
  let app: ElectronApplication;
  let ui: AppPage;

  beforeAll(async () => {
    if (!('path' in binary)) return;
    // the main process, its preload and the job threads are bundles: build them (and the renderer)
    const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
    await buildStore(storeDir, { large: true });
    app = await electron.launch({
      executablePath: binary.path,
      args: [ROOT, `--store=${storeDir}`, '--no-sandbox'],
      env: { ...process.env, ELECTRON_DISABLE_SECURITY_WARNINGS: '1', MES_DATA_DEMO: '0' },
      cwd: ROOT,
    });
    const window = await app.firstWindow();
    await window.setViewportSize({ width: 1280, height: 800 });
    ui = AppPage.attach(window, 'electron-');
    await ui.waitForWorkbench();
  });

  afterEach(async () => {
    await ui?.closeDialogs();
  });

  afterAll(async () => {
    await app?.close();
    cleanup();
  });

  it('talks to its main process over the preload bridge, with the store from --store', async () => {
    await expect(ui.page.evaluate('typeof window.mesData')).resolves.toBe('object');
    await expect(ui.page.getByTestId('store-path').textContent()).resolves.toContain(storeDir);
  });

  it('shows the store as a tree and moves through it with the keyboard', () => scenarios.browseTree(ui));

  it('opens a 1.2M-row file at once and shows exact values at the top and at row 1,000,000', () => scenarios.largeTable(ui));

  it('draws the chart, and a clicked bar selects its row in the table', () => scenarios.chartSelectsRow(ui));

  it('validates a raw snapshot with known defects; an issue jumps to its row', () => scenarios.validateDefects(ui));

  it('opens a feature set and follows its lineage', () => scenarios.featureSetLineage(ui));

  it('promotes with the gate failing, then with drop, and shows v1 with its lineage', () => scenarios.promoteWithGate(ui));
});
