/**
 * The steps' `afterRun` hooks: products that are a view of a whole run (a run report), written
 * from the run's history record once the run is over. Called by the executor at the end of a
 * run, by `lvis-pipe report` for a past run, and by `sweep` for each variant, with the sweep's
 * comparison. The runner knows nothing of what a hook writes, only where (`afterRunFiles`).
 */
import { DiagnosticError } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';
import { pathProblem } from '../../base/fs-problems.js';
import type { Pipeline } from '../pipeline/types.js';
import type { CacheStore } from '../cache/store.js';
import { type HistoryRecord } from '../cache/records.js';
import { type StoredOutput } from '../cache/records.js';
import { decodeInput } from '../step/input-value.js';
import type { StepRegistry } from '../step/registry.js';
import type { SweepVariantRow } from '../step/step.js';

export interface AfterRunExtras {
  sweep?: SweepVariantRow[];
  /** Write the hook's one file here instead (`report --out`). */
  out?: string;
}

export interface AfterRunOutcome {
  stepId: string;
  written: string[];
  error?: unknown;
}

/** The steps of `p` whose afterRun hook runs for this record: they have one, and completed. */
export function afterRunSteps(p: Pipeline, history: HistoryRecord): string[] {
  return p.order.filter((id) => {
    const h = history.steps[id];
    return p.steps.get(id)!.module.afterRun !== undefined && h !== undefined && (h.status === 'ran' || h.status === 'cached');
  });
}

/**
 * Calls each completed step's afterRun hook with its decoded outputs. A hook that fails is
 * returned with its error: the run's results stand, the caller says what happened.
 */
export async function runAfterRunHooks(
  p: Pipeline,
  history: HistoryRecord,
  readOutput: (out: StoredOutput) => Promise<unknown>,
  extras: AfterRunExtras,
): Promise<AfterRunOutcome[]> {
  const outcomes: AfterRunOutcome[] = [];
  for (const id of afterRunSteps(p, history)) {
    const step = p.steps.get(id)!;
    // A sweep variant's hook must write into the variant's folder: only a hook that declares
    // its files (which the sweep moves there) may run for one.
    if (extras.sweep && !step.module.afterRunFiles?.length) continue;
    try {
      const outputs: Record<string, unknown> = {};
      for (const [name, out] of Object.entries(history.steps[id]!.outputs)) outputs[name] = await readOutput(out);
      const options = { ...step.options };
      const files = step.module.afterRunFiles ?? [];
      if (extras.out !== undefined && files.length === 1) options[files[0]!] = extras.out;
      const written = await step.module.afterRun!({
        stepId: id,
        options,
        outputs,
        pipeline: p,
        history,
        ...(extras.sweep ? { sweep: extras.sweep } : {}),
      });
      outcomes.push({ stepId: id, written });
    } catch (error) {
      outcomes.push({ stepId: id, written: [], error: pathError(error) });
    }
  }
  return outcomes;
}

/** Reads a stored output as a hook gets it: a file output's stored path, a value decoded. */
export function storedOutputReader(store: CacheStore, registry: StepRegistry): (out: StoredOutput) => Promise<unknown> {
  return async (out) => {
    if (out.storage === 'file') return store.objectPath(out.digest);
    const kind = registry.kind(out.kind);
    if (kind.storage !== 'value') throw new Error(`kind ${out.kind} is not a value kind`);
    const bytes = await store.readObject(out.digest);
    return decodeInput(kind, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  };
}

/** A hook's file it could not write (a read-only folder, a full disk) is said in plain words, not as a crash. */
function pathError(err: unknown): unknown {
  const why = pathProblem(err);
  const at = (err as NodeJS.ErrnoException).path;
  if (!why || at === undefined) return err;
  return new DiagnosticError([{ severity: 'error', message: `cannot write ${displayPath(at)}: ${why}; choose another path (\`lvis-pipe report FILE --out PATH\` writes the report elsewhere)` }]);
}
