import { defineConfig } from 'vitest/config';

/**
 * End-to-end tests: the real UI in Debian's Chromium against the browser-mode host, run
 * in process. The renderer is built once (global setup); files run one after the other in
 * a single fork, since each drives a browser and the machines have two cores.
 */
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.test.ts'],
    globalSetup: ['tests/e2e/support/buildRenderer.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
  },
});
