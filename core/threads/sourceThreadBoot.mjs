// @ts-check
/**
 * What a thread runs first when it is started from the TypeScript sources (tests under
 * Vitest, the command line or a benchmark under tsx): worker threads do not inherit a loader
 * registered in-process (Vitest's), so this registers tsx in the thread, then imports the
 * thread's module, whose URL is the thread's first argument. Plain JavaScript, because
 * nothing could load TypeScript before it has run. Built programs never use it: their
 * threads are bundles (see core/threads/startThread.ts).
 */
const entry = process.argv[2];
if (!entry) throw new Error('sourceThreadBoot.mjs needs the URL of the thread module as its first argument');
// a thread of a process started by tsx inherits its loader through execArgv already
if (!process.execArgv.some((arg) => arg.includes('tsx'))) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(entry);
