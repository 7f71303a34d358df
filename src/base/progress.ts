/** How long work reports its progress: phases with a total, and the amount done in each. */
export interface ProgressReporter {
  /** Begin a determinate phase; `total` in `unit`s (e.g. bytes, images). */
  start(label: string, total: number, unit?: string): void;
  /**
   * Set the absolute amount done in the current phase. Cheap: call as often as you like.
   * `detail`: what a bar cannot show by itself, in a few words (`312 MB, 7.6 MB/s, 0:41 left`).
   */
  update(done: number, detail?: string): void;
  /** Mark the current phase done. */
  done(): void;
}
