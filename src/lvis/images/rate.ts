/** Files, bytes, rate and time left of a transfer, in a few words for a progress bar or a log line. */
import { formatBytes } from '../../base/format.js';

function clock(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export class RateMeter {
  private readonly t0 = performance.now();
  done = 0;
  bytes = 0;
  constructor(readonly total: number) {}

  get elapsedMs(): number {
    return performance.now() - this.t0;
  }

  /** `62 MB, 4.1 MB/s, 0:26 left` */
  detail(): string {
    const s = this.elapsedMs / 1000;
    const rate = s > 0 ? this.bytes / s : 0;
    const left = this.done > 0 ? ((this.total - this.done) * this.elapsedMs) / this.done : undefined;
    return `${formatBytes(this.bytes)}, ${formatBytes(Math.round(rate))}/s${left !== undefined ? `, ${clock(left)} left` : ''}`;
  }

  /** `312 MB in 0:41 (7.6 MB/s)` */
  summary(): string {
    const s = this.elapsedMs / 1000;
    return `${formatBytes(this.bytes)} in ${clock(this.elapsedMs)}${s > 0 ? ` (${formatBytes(Math.round(this.bytes / s))}/s)` : ''}`;
  }
}
