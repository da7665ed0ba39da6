/** A command's outcome: the JSON document for `--json`, the text for people, the exit code. */
export interface Outcome {
  json: unknown;
  text: string;
  exitCode?: number;
}

/** What a command module gets from the program: where results go and which store to use. */
export interface CommandContext {
  /** Prints the outcome (JSON or text) and sets the exit code. */
  done: (outcome: Outcome, json: boolean) => void;
  /** The store folder chosen by `--store`, `$MES_DATA_STORE` or the default. */
  storeDir: () => string;
  /** Writes progress and notes for people to stderr. */
  log: (text: string) => void;
}
