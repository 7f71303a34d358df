import type { CliEnv } from '../cli-env.js';

/** A CLI subcommand. src/cli.ts parses the command name and hands over the rest of argv. */
export interface CommandModule {
  name: string;
  /** One line for `lvis-pipe --help`. */
  summary: string;
  /** Full usage text for `lvis-pipe NAME --help`. */
  usage: string;
  /**
   * Returns the process exit status. Throw DiagnosticError for user mistakes.
   * `env` carries the step registry and output streams (a command may ignore it).
   */
  run(argv: string[], env: CliEnv): Promise<number>;
}
