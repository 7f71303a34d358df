import type { StepModule } from '../runner/step.js';
import synth from './synth.js';

/**
 * Every step type lvis-pipe knows, by type name. The runner is generic and receives this
 * registry from the CLI. To add a step: create src/steps/<type>.ts with a default export,
 * and add it here (one line).
 */
export const STEP_MODULES: StepModule[] = [
  synth,
];
