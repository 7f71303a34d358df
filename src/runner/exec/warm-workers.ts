/**
 * Workers started ahead of their steps. A `cpuHeavy` step with a `warmUp` hook (one that
 * imports heavy libraries, say) gets its worker thread as soon as a step it reads from starts
 * running, if its own key has no record yet (so it will likely run too): the worker boots,
 * imports the step's module and warms it up on an idle core while the upstream step works,
 * and the step then starts warm. A guess that proves wrong (the step turns out cached, by
 * early cutoff say) costs that idle core's time and nothing else: the worker is ended unused.
 */
import type { PreparedWorker } from '../../base/worker-task.js';
import type { Pipeline } from '../pipeline/types.js';
import type { RegistrySource } from '../step/registry.js';
import { prepareStepWorker } from './worker-client.js';

export class WarmWorkers {
  /** Prepared workers by run id, then step id. */
  private readonly byRun = new Map<string, Map<string, PreparedWorker>>();

  constructor(
    private readonly registry: RegistrySource | undefined,
    private readonly hasRecord: (key: string) => boolean,
  ) {}

  /** `started` (of run `runId`) began executing: warm the steps that read from it and will likely run. */
  upstreamStarted(p: Pipeline, runId: string, started: string, keys: { get(id: string): { key: string } | undefined }): void {
    if (!this.registry) return;
    let prepared = this.byRun.get(runId);
    for (const [id, step] of p.steps) {
      if (!step.deps.includes(started) || !step.module.cpuHeavy || !step.module.warmUp) continue;
      // A key not known yet (it waits for a file its upstream step reads) likely misses too.
      const key = keys.get(id)?.key;
      if ((key !== undefined && this.hasRecord(key)) || prepared?.has(id)) continue;
      if (!prepared) this.byRun.set(runId, (prepared = new Map()));
      prepared.set(id, prepareStepWorker({ registry: this.registry, stepType: step.type }));
    }
  }

  /** The worker prepared for step `id` of run `runId`, now the step's to use (at most once). */
  take(runId: string, id: string): PreparedWorker | undefined {
    const w = this.byRun.get(runId)?.get(id);
    this.byRun.get(runId)?.delete(id);
    return w;
  }

  /** Step `id` will not use its prepared worker (a cache hit): end it. */
  release(runId: string, id: string): void {
    void this.take(runId, id)?.dispose();
  }

  /** Ends every worker still unused at the end of run `runId`. */
  async releaseRun(runId: string): Promise<void> {
    const prepared = this.byRun.get(runId);
    this.byRun.delete(runId);
    await Promise.all([...(prepared?.values() ?? [])].map((w) => w.dispose()));
  }
}
