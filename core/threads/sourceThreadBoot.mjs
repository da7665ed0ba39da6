// @ts-check
/**
 * What a thread runs first when it is started from the TypeScript sources (tests under
 * Vitest, the command line or a benchmark under tsx): worker threads do not inherit the
 * loader of their process, so this registers tsx in the thread, then imports the
 * thread's module, whose URL is the thread's first argument. Plain JavaScript, because
 * nothing could load TypeScript before it has run. Built programs never use it: their
 * threads are bundles (see core/threads/startThread.ts).
 */
const entry = process.argv[2];
if (!entry) throw new Error('sourceThreadBoot.mjs needs the URL of the thread module as its first argument');
// always: a thread of a process started by the tsx command does not load TypeScript either
const { register } = await import('tsx/esm/api');
register();
await import(entry);
