import { performance } from 'node:perf_hooks';
import { type ProgressReporter } from '../../base/progress.js';

export interface ProgressEvent {
  label: string;
  done: number;
  total: number;
  unit?: string;
  /** A few words beside the amount (ProgressReporter.update). */
  detail?: string;
}

/** A ProgressReporter that emits at most ~10 updates a second (plus every start and done). */
export function progressReporter(emit: (e: ProgressEvent) => void, intervalMs = 100): ProgressReporter {
  let label = '';
  let total = 0;
  let unit: string | undefined;
  let detail: string | undefined;
  let last = 0;
  return {
    start(l, t, u) {
      label = l;
      total = t;
      unit = u;
      detail = undefined;
      last = performance.now();
      emit({ label, done: 0, total, ...(unit ? { unit } : {}) });
    },
    update(done, d) {
      detail = d;
      const now = performance.now();
      if (now - last < intervalMs) return;
      last = now;
      emit({ label, done, total, ...(unit ? { unit } : {}), ...(detail ? { detail } : {}) });
    },
    done() {
      // The last detail given stands (it may sum the phase up).
      emit({ label, done: total, total, ...(unit ? { unit } : {}), ...(detail ? { detail } : {}) });
    },
  };
}
