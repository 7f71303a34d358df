import type { ParseArgsConfig } from 'node:util';
import type { CliEnv } from '../cli-env.js';

/** A CLI subcommand (its name and summary are in the table, commands/index.ts). */
export interface CommandModule {
  /** Its flags, as node:util parseArgs takes them. */
  options: ParseArgsConfig['options'];
  /** Full usage text for `lvis-pipe NAME --help`. */
  usage: string;
  /**
   * Returns the process exit status. Throw DiagnosticError for user mistakes.
   * `env` carries the step registry and output streams (a command may ignore it).
   */
  run(argv: string[], env: CliEnv): Promise<number>;
}
