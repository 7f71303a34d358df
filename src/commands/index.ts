import type { CommandModule } from './command.js';
import { command as synth } from './synth.js';

/**
 * Every CLI subcommand, in the order `lvis-pipe --help` lists them.
 * To add one: create src/commands/<name>.ts exporting `command`, and add it here (one line).
 */
export const COMMANDS: CommandModule[] = [
  synth,
];
