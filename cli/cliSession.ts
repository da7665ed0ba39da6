import fs from 'node:fs';
import path from 'node:path';
import type { ApiName, ApiRequest, ApiResponse } from '../core/api/contract.js';
import { ApiSession, parseRequest } from '../core/api/handlers.js';
import { inlineLink } from '../core/api/inlineJob.js';
import { BadRequestError, MesDataError } from '../core/errors.js';
import type { CommandContext } from './commandContext.js';

/**
 * How a command uses the store: `true`, it must be one (NOT_FOUND otherwise); `'ifPresent'`,
 * the folder when it exists — opened as a store, or, when it is not one (yet), as a folder
 * whose `schemas/`, `instruments/` and datasets the command reads and writes, as the command
 * line always has; `false`, not at all.
 */
export type StoreUse = boolean | 'ifPresent';

/** One command's way to the core: the contract's operations, as the app calls them. */
interface CliSession {
  invoke<K extends ApiName>(name: K, request: ApiRequest<K>): Promise<ApiResponse<K>>;
  /** the store opened for this command, or null */
  readonly storeRoot: string | null;
  /** job events (progress and ends), as the app's hosts forward them */
  onJobEvent: ApiSession['jobs']['onEvent'];
}

const BAD_REQUEST_PREFIX = /^bad request for [\w.]+: /;

/**
 * `invoke` on the command line: a request the contract refuses names the flag's field and
 * the problem (`from: expected a cleaned version…`), without the operation's name, which
 * means nothing to someone who typed a command, and with no details, as the command line
 * has always said it.
 */
function inCliWords(error: unknown, name: ApiName): unknown {
  if (error instanceof MesDataError && error.code === 'BAD_REQUEST' && error.details.operation === name) {
    return new BadRequestError(error.message.replace(BAD_REQUEST_PREFIX, ''));
  }
  return error;
}

async function invokeFromCli<K extends ApiName>(session: ApiSession, name: K, request: ApiRequest<K>): Promise<ApiResponse<K>> {
  try {
    return (await session.invoke(name, request)) as ApiResponse<K>;
  } catch (error) {
    throw inCliWords(error, name);
  }
}

/**
 * Throws what `invoke` would throw for a request the contract refuses, before anything else
 * runs: a bad flag is named before a missing store is.
 */
export function checkRequest<K extends ApiName>(name: K, request: ApiRequest<K>): void {
  try {
    parseRequest(name, request);
  } catch (error) {
    throw inCliWords(error, name);
  }
}

/**
 * Runs one command through an in-process `ApiSession` (host `cli`): opens the store as
 * `store` says (`recover: false` leaves crashed writers' leftovers in place, for commands
 * that only read or report them), runs `run`, and closes the session, jobs included.
 */
export async function withCliSession<T>(ctx: CommandContext, options: { store: StoreUse; recover?: boolean }, run: (cli: CliSession) => Promise<T>): Promise<T> {
  const session = new ApiSession('cli');
  // a command's job runs in this thread (core/api/inlineJob.ts says why)
  session.jobs.runHere(inlineLink);
  const cli: CliSession = {
    invoke: (name, request) => invokeFromCli(session, name, request),
    get storeRoot() {
      return session.storeRoot;
    },
    onJobEvent: (listener) => session.jobs.onEvent(listener),
  };
  try {
    if (options.store !== false) {
      const dir = ctx.storeDir();
      const open = () => cli.invoke('store.open', { path: dir, recover: options.recover ?? true });
      if (options.store === true) await open();
      else if (fs.existsSync(dir)) {
        try {
          await open();
        } catch {
          // no marker (or one this version cannot read): the folder as it is, without a format
          session.setStore({ root: path.resolve(dir), formatVersion: 0 });
        }
      }
    }
    return await run(cli);
  } finally {
    await session.close();
  }
}
