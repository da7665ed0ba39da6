import path from 'node:path';
import { buildCliIfStale } from '../../scripts/buildCli.mjs';

/**
 * Vitest global setup: the CLI tests run the command as it ships (dist/cli/, built by
 * `npm run build`), so rebuild its bundles first when a source is newer than them.
 */
export default async function setup(): Promise<void> {
  // a run limited to other folders (`vitest run tests/core/api`) has no use for the bundle
  const run = process.argv.findIndex((arg) => arg === 'run' || arg === 'watch');
  const filters = run < 0 ? [] : process.argv.slice(run + 1).filter((arg) => !arg.startsWith('-'));
  if (filters.length > 0 && !filters.some((filter) => filter.includes('cli'))) return;
  await buildCliIfStale(path.resolve(import.meta.dirname, '../..'));
}
