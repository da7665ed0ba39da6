import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { TestContext } from 'vitest';

/**
 * A real S3-compatible server for the object-store tests: moto's `moto_server` (on the PATH,
 * which `.ci/run` sees to), started on a free port of 127.0.0.1 and stopped after the suite.
 * In CI (`CI` true or 1) a missing moto_server fails the tests; elsewhere they are skipped
 * with the reason printed by `npm test`, as tests/helpers/python.ts does for Python.
 */

const REQUIRED = process.env.CI === 'true' || process.env.CI === '1';

/** Credentials moto accepts (it accepts any). */
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export interface MotoServer {
  endpoint: string;
  port: number;
  /** A client on the server, for setting up buckets. */
  client: S3Client;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

let absentReason: string | null | undefined;

/** Why moto_server cannot run here, or null when it can. */
function motoMissingReason(): string | null {
  if (absentReason !== undefined) return absentReason;
  const probe = spawnSync('moto_server', ['--help'], { encoding: 'utf8', timeout: 60_000 });
  absentReason = probe.status === 0 ? null : `moto_server is not on the PATH (${probe.error ? String(probe.error.message) : (probe.stderr || '').trim().split('\n').pop()}); install it with pip install "moto[server]"`;
  return absentReason;
}

/** Skips the running test when moto_server is absent outside CI (recording the reason); in CI it does nothing, so the test fails. */
export function skipWithoutMoto(context: TestContext): void {
  const reason = motoMissingReason();
  if (reason === null || REQUIRED) return;
  (context.task.meta as Record<string, unknown>).skipReason = reason;
  context.skip(reason);
}

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode} before listening on ${port}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > until) throw new Error(`moto_server did not listen on 127.0.0.1:${port} within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts moto_server; returns null (the suite's tests then skip, or fail in CI) when it is
 * absent. `checkCredentials` makes it check every request's credentials against its own
 * IAM (INITIAL_NO_AUTH_ACTION_COUNT=0), so unknown keys are refused as AWS refuses them.
 */
export async function startMoto(options: { checkCredentials?: boolean } = {}): Promise<MotoServer | null> {
  if (motoMissingReason() !== null) {
    if (REQUIRED) throw new Error(`${motoMissingReason()} (required in CI)`);
    return null;
  }
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: options.checkCredentials ? { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: '0' } : process.env,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    await waitForPort(port, child, 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}: ${stderr}`, { cause: error });
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: MOTO_CREDENTIALS });
  return {
    endpoint,
    port,
    client,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    stop: async () => {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
