import fs from 'node:fs';
import path from 'node:path';
import { build } from 'vite';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const RENDERER_DIR = path.join(ROOT, 'dist/renderer');

/**
 * Vitest global setup: builds the renderer once (Vite's JS API, the project's own
 * vite.config.ts) into dist/renderer, which every e2e test file serves. Set
 * MES_DATA_E2E_SKIP_BUILD=1 to reuse an existing build while iterating.
 */
export default async function setup(): Promise<void> {
  if (process.env.MES_DATA_E2E_SKIP_BUILD === '1' && fs.existsSync(path.join(RENDERER_DIR, 'index.html'))) return;
  // Vitest sets NODE_ENV=test, which would give React's development build: build what users get
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: path.join(ROOT, 'vite.config.ts'), mode: 'production', logLevel: 'warn' });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  if (!fs.existsSync(path.join(RENDERER_DIR, 'index.html'))) throw new Error(`the renderer build left no index.html in ${RENDERER_DIR}`);
}
