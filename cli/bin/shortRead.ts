/** Commands that decode a page or a footer and end: the decoder's WebAssembly stays in its baseline tier. */
const SHORT_READS = new Set(['show', 'schema', 'meta']);

/** Whether the command line runs one of SHORT_READS (its first word that is not an option). */
export function isShortRead(argv: readonly string[]): boolean {
  return SHORT_READS.has(argv.find((arg) => !arg.startsWith('-')) ?? '');
}

/** Whether the command line asks for help (which decodes nothing). */
export function asksForHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
