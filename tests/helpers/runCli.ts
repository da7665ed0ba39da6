import { main } from '../../cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one `mes-data` command line in this process, capturing its output. */
export async function runCli(...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

/** Runs a `--json` command and parses its one JSON document. */
export async function runCliJson(...argv: string[]): Promise<CliRun & { json: unknown }> {
  const run = await runCli(...argv, '--json');
  return { ...run, json: JSON.parse(run.stdout) as unknown };
}
