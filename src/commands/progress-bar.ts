/** The progress bar of the commands that run work of their own (synth, evaluate): on stderr, for interactive terminals. */
import cliProgress from 'cli-progress';
import { type ProgressReporter } from '../base/progress.js';

/** A progress bar on stderr for interactive terminals. */
export function barReporter(stream: NodeJS.WritableStream): ProgressReporter & { stop(): void } {
  let bar: cliProgress.SingleBar | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    start(label, total, unit) {
      stop();
      bar = new cliProgress.SingleBar(
        { stream: stream as NodeJS.WriteStream, format: `  {bar} {percentage}% ${label} {value}/{total} ${unit ?? ''}`, clearOnComplete: true, hideCursor: true, fps: 10 },
        cliProgress.Presets.shades_classic,
      );
      bar.start(Math.max(1, total), 0);
    },
    update(done) {
      bar?.update(done);
    },
    done: stop,
    stop,
  };
}

