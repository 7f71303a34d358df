/**
 * Where a step writes its file outputs, shared by the in-process path (executor.ts) and the
 * worker thread (worker.ts), so that both accept the same names and say the same things.
 */
import path from 'node:path';
import type { StepRegistry } from '../step/registry.js';
import type { StepModule } from '../step/step.js';

/** `ctx.outputFile(name)`: the scratch path of file output `name`; other names are a bug. */
export function outputFileFor(mod: StepModule, registry: StepRegistry, tempDir: string): (name: string) => string {
  const fileOutputs = new Set(Object.entries(mod.outputs).filter(([, s]) => registry.kind(s.kind).storage === 'file').map(([n]) => n));
  return (name: string): string => {
    if (!fileOutputs.has(name)) throw new Error(`step type ${mod.type}: outputFile(${JSON.stringify(name)}) is not a file output of this step`);
    return path.join(tempDir, `out-${name}`);
  };
}

/** Whether `file` lies inside `dir` (the runner may then move it instead of copying it). */
export function isInside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** The error for a file output the step did not write (the store found no file). */
export function missingOutputError(mod: StepModule, name: string): Error {
  return new Error(`step type ${mod.type} did not write its output file \`${name}\` (ctx.outputFile('${name}'))`);
}
