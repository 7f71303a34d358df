/**
 * What the CLI runs with: the step registry (the project's steps, or test steps), the
 * output streams and the working directory. Tests and embedders pass their own.
 */
import type { Writable } from 'node:stream';
import type { StepRegistry } from './runner/step/registry.js';

export interface CliEnv {
  registry: StepRegistry;
  stdout: Writable;
  stderr: Writable;
  cwd: string;
  /** stdout is an interactive terminal (progress bars) and not CI. */
  interactive: boolean;
  /** Install SIGINT/SIGTERM handlers (the real CLI does; in-process tests do not). */
  handleSignals: boolean;
}
