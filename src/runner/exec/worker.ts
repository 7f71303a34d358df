/** Worker-thread entry: see worker-client.ts. */
import { readFileSync } from 'node:fs';
import { noteWrite } from '../../base/fs-problems.js';
import { writeFile } from 'node:fs/promises';
import { serveWorkerTask } from '../../base/worker-task.js';
import { sha256 } from '../cache/hash.js';
import { decodeInput } from '../step/input-value.js';
import { isInside, outputFileFor } from './step-outputs.js';
import { progressReporter } from './progress.js';
import { importRegistry } from '../step/registry.js';
import type { StepContext } from '../step/step.js';
import type { StepRegistry } from '../step/registry.js';
import type { WorkerInput, WorkerNote, WorkerPreload, WorkerResult } from './worker-client.js';

let registryImport: Promise<StepRegistry> | undefined;
function registryOf(source: WorkerInput['registry']): Promise<StepRegistry> {
  registryImport ??= importRegistry(source);
  return registryImport;
}

serveWorkerTask<WorkerInput, WorkerResult, WorkerNote>(async (input, { note, signal }) => {
  const registry = await registryOf(input.registry);
  const mod = registry.get(input.stepType);
  if (!mod) throw new Error(`worker: step type ${input.stepType} is not in ${input.registry.moduleUrl}`);
  const inputs: Record<string, unknown> = {};
  for (const [name, ref] of Object.entries(input.inputs)) {
    const kind = registry.kind(ref.kind);
    if (kind.storage === 'file') inputs[name] = ref.path;
    else {
      const bytes = readFileSync(ref.path);
      inputs[name] = decodeInput(kind, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
  }
  const outputFile = outputFileFor(mod, registry, input.tempDir);
  const digests: Record<string, string> = {};
  const ctx: StepContext = {
    stepId: input.stepId,
    options: input.options,
    inputs,
    progress: progressReporter((e) => note({ t: 'progress', ...e })),
    log: (message) => note({ t: 'log', message }),
    signal,
    outputFile,
    tempDir: input.tempDir,
    fileDigests: input.fileDigests,
    hashWhileReading: input.hashWhileReading,
    reportDigest: (path, sha256) => void (digests[path] = sha256),
  };
  const result = ((await mod.run(ctx)) ?? {}) as Record<string, unknown>;
  const out: WorkerResult = { outputs: {}, metrics: {}, digests };
  for (const [name, spec] of Object.entries(mod.outputs)) {
    const kind = registry.kind(spec.kind);
    const v = result[name];
    if (kind.storage === 'value') {
      if (v === undefined) throw new Error(`step type ${mod.type} returned no value for output \`${name}\``);
      const file = `${input.tempDir}/val-${name}`;
      const bytes = await kind.encode(v);
      const writing = writeFile(file, bytes).catch((err: unknown) => Promise.reject(noteWrite(err, file, bytes.byteLength)));
      const digest = sha256(bytes); // on this thread, while the file is written on libuv's
      await writing;
      out.outputs[name] = { path: file, owned: true, written: { digest, size: bytes.byteLength } };
      if (spec.metrics) out.metrics[name] = v;
    } else {
      const file = typeof v === 'string' ? v : outputFile(name);
      out.outputs[name] = { path: file, owned: isInside(input.tempDir, file) };
    }
  }
  return out;
}, async (preload) => {
  // Started ahead of its step (warm-workers.ts): import the registry and let the step load
  // what it needs (its warmUp hook) while the step's inputs are still being made.
  const { registry, stepType } = preload as WorkerPreload;
  await (await registryOf(registry)).get(stepType)?.warmUp?.();
});
