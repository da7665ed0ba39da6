import { execFile } from 'node:child_process';
import path from 'node:path';

/** The command as it ships: the bundle `npm run build` writes (the global setup rebuilds it when stale). */
export const CLI_BIN = path.resolve(import.meta.dirname, '../../dist/cli/mes-data.mjs');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one `mes-data` command line as its own process, from the built bundle (package.json's
 * `bin`), and collects its exit code and output. `env` is added to this process's environment.
 */
export function runCli(...argv: string[]): Promise<CliRun> {
  return runCliWith({}, ...argv);
}

/** `runCli` with extra environment variables. */
export function runCliWith(env: Record<string, string>, ...argv: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI_BIN, ...argv], { env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`mes-data ${argv.join(' ')} did not run: ${error.message}\n${stderr}`));
        return;
      }
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** Runs a `--json` command and parses its one JSON document. */
export async function runCliJson(...argv: string[]): Promise<CliRun & { json: unknown }> {
  const run = await runCli(...argv, '--json');
  let json: unknown;
  try {
    json = JSON.parse(run.stdout) as unknown;
  } catch {
    throw new Error(`mes-data ${argv.join(' ')} --json printed no JSON document (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
  return { ...run, json };
}
