import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ApiSession } from '../../core/api/handlers.js';
import { BadRequestError } from '../../core/errors.js';
import { makeDemoStore } from '../../core/demo/makeDemoStore.js';
import type { CommandContext } from '../commandContext.js';
import { wholeNumber } from '../options.js';
import { startHttpHost } from '../serve/httpHost.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The built renderer: beside the bundled CLI, or under dist/ when running from sources. */
function rendererDir(): string {
  const candidates = [path.resolve(here, '../renderer'), path.resolve(here, '../../dist/renderer'), path.resolve(here, '../../../dist/renderer')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html'))) ?? candidates[1];
}

function openInBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no browser to open: the URL is printed anyway
  }
}

/**
 * `serve`: the browser mode. Runs until interrupted. An s3:// store is served from its
 * working copy, pulled at the start (core/api/bucketStore.ts): the host's AWS environment
 * reaches the bucket, the page gets its URL only.
 */
export function registerServeCommand(program: Command, ctx: CommandContext): void {
  program
    .command('serve')
    .description('serve the app to a browser on this machine (127.0.0.1, with a session token); a folder or s3://bucket/prefix')
    .option('--port <n>', 'port (default: any free port)', wholeNumber('port'))
    .option('--no-open', 'do not open a browser')
    .option('--host <address>', 'interface to listen on', '127.0.0.1')
    .option('--allow-remote', 'allow a non-loopback --host (anyone who can reach it gets your data)')
    .option('--demo', 'create the demo store at --store first when there is none')
    .action(async (opts: { port?: number; open: boolean; host: string; allowRemote?: boolean; demo?: boolean }) => {
      // a bucket's store is named by its URL; the host opens it through its working copy
      const bucket = ctx.remoteStore();
      if (bucket !== null && opts.demo) throw new BadRequestError(`--demo makes the demo store in a folder, not in ${bucket}: make it in a folder, then mes-data sync FOLDER ${bucket}`, { store: bucket });
      const session = new ApiSession('browser');
      const storeDir = bucket ?? ctx.storeDir();
      if (opts.demo) await makeDemoStore(storeDir, (line) => ctx.log(`${line}\n`));
      await session.openAtStartup(storeDir);
      if (session.startupStoreError) ctx.log(`note: ${storeDir} could not be opened (${session.startupStoreError.code}: ${session.startupStoreError.message}); pick a store in the app\n`);
      else if (bucket !== null) ctx.log(`serving ${bucket} from its working copy ${session.storeRoot ?? ''}\n`);
      if (opts.host !== '127.0.0.1' && opts.host !== 'localhost') ctx.log(`warning: listening on ${opts.host}: anyone who can reach it and has the token can read and change your store\n`);
      const host = await startHttpHost({ session, port: opts.port, host: opts.host, allowRemote: opts.allowRemote, staticDir: rendererDir() });
      process.stdout.write(`MES Data at ${host.url}\n`);
      if (opts.open) openInBrowser(host.url);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await host.close();
      await session.close();
      ctx.done({ json: { stopped: true }, text: '' }, false);
    });
}
