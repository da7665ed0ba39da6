import { Option } from 'commander';
import { withCliSession } from './cliSession.js';
import type { CommandContext } from './commandContext.js';

/** `--as-of <moment>`: the version of a table (cleaned/MES, features/MES/momentum_indicators) current at that moment. */
export function asOfOption(): Option {
  return new Option('--as-of <moment>', 'the version of the table named that was current at this moment (ISO 8601, e.g. 2026-11-01T00:00:00Z), by its snapshot log');
}

/**
 * The store path a dataset argument stands for when `--as-of` is given (the version folder
 * current then, through `dataset.resolve`); the argument as it is otherwise: every reader
 * resolves names (cleaned/MES@v3, cleaned/MES) itself.
 */
export async function datasetAsOf(ctx: CommandContext, name: string, asOf: string | undefined): Promise<string> {
  if (asOf === undefined) return name;
  const resolved = await withCliSession(ctx, { store: true, recover: false }, (cli) => cli.invoke('dataset.resolve', { path: name, asOf }));
  return resolved.path;
}
