import type { CommandModule } from './command.js';
import { command as run } from './run.js';
import { command as plan } from './plan.js';
import { command as validate } from './validate.js';
import { command as dag } from './dag.js';
import { command as cache } from './cache.js';
import { command as schema } from './schema.js';
import { command as synth } from './synth.js';
import { command as report } from './report.js';
import { command as sweep } from './sweep.js';
import { command as runs } from './runs.js';
import { command as diff } from './diff.js';

/**
 * Every CLI subcommand, in the order `lvis-pipe --help` lists them.
 * To add one: create src/commands/<name>.ts exporting `command`, and add it here (one line).
 */
export const COMMANDS: CommandModule[] = [
  run,
  plan,
  validate,
  dag,
  cache,
  schema,
  synth,
  report,
  sweep,
  runs,
  diff,
];
