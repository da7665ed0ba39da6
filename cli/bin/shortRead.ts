/** Commands that decode a page or a footer and end: the decoder's WebAssembly stays in its baseline tier. */
const SHORT_READS = new Set(['show', 'schema', 'meta']);

/** The program's options that take a value (`--store DIR`): that value is not the command. */
const GLOBAL_VALUE_OPTIONS = new Set(['--store']);

/** The command of a command line: its first word that is neither an option nor the value of a global option. */
export function commandOf(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (GLOBAL_VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return '';
}

/** Whether the command line runs one of SHORT_READS (`show FILE`, `--store DIR show FILE`). */
export function isShortRead(argv: readonly string[]): boolean {
  return SHORT_READS.has(commandOf(argv));
}

/** Whether the command line asks for help (which decodes nothing). */
export function asksForHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
