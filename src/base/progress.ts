/** How long work reports its progress: phases with a total, and the amount done in each. */
export interface ProgressReporter {
  /** Begin a determinate phase; `total` in `unit`s (e.g. bytes, images). */
  start(label: string, total: number, unit?: string): void;
  /** Set the absolute amount done in the current phase. Cheap: call as often as you like. */
  update(done: number): void;
  /** Mark the current phase done. */
  done(): void;
}
