/**
 * The one table of CLI commands, in the order `lvis-pipe --help` lists them. A command's module
 * (its usage text and `run`) loads only when that command runs or shows its help, so that a
 * no-op `run` never pays for the heavy ones (report and synth pull in Vega, ~1.5 s here).
 * To add a command: create src/commands/<name>.ts exporting `command`, and add a row here.
 */
import type { CommandModule } from './command.js';

export interface CommandEntry {
  name: string;
  /** One line for `lvis-pipe --help`. */
  summary: string;
  load: () => Promise<{ command: CommandModule }>;
  /**
   * False for a command that never looks at step types (its `env.registry` is then empty): the
   * step modules are not loaded, ~70 ms less before it starts. The others get every step type.
   */
  steps: boolean;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'run', summary: 'run a pipeline, reusing cached results', steps: true, load: () => import('./run.js') },
  { name: 'plan', summary: 'show which steps would run, and why', steps: true, load: () => import('./plan.js') },
  { name: 'validate', summary: 'check a pipeline file and report every error', steps: true, load: () => import('./validate.js') },
  { name: 'dag', summary: 'print the step graph (text, mermaid or dot)', steps: true, load: () => import('./dag.js') },
  { name: 'steps', summary: 'list the step types, or one with its inputs, outputs and options', steps: true, load: () => import('./steps.js') },
  { name: 'cache', summary: 'inspect (ls), clean up (gc) or empty (clear) the cache', steps: true, load: () => import('./cache.js') },
  { name: 'schema', summary: 'print the pipeline JSON Schema (for editors)', steps: true, load: () => import('./schema.js') },
  { name: 'evaluate', summary: 'score detections against a GT file: LVIS box and mask AP, as the LVIS API computes them', steps: false, load: () => import('./evaluate.js') },
  { name: 'synth', summary: 'generate synthetic LVIS v1-format train/val files and val predictions (any scale, by seed)', steps: false, load: () => import('./synth.js') },
  { name: 'report', summary: 'write the HTML report of a finished run', steps: true, load: () => import('./report.js') },
  { name: 'sweep', summary: 'run a parameter sweep through one cache and compare the variants', steps: true, load: () => import('./sweep.js') },
  { name: 'runs', summary: 'list the past runs of a pipeline with their params and metrics', steps: true, load: () => import('./runs.js') },
  { name: 'diff', summary: 'show what differs between two runs: params, metrics, outputs, steps', steps: true, load: () => import('./diff.js') },
];
