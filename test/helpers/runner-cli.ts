/**
 * A test-only CLI entry: the real `main`, with the test steps instead of the LVIS ones.
 * Tests spawn it as a child process (for SIGKILL, signals, locks and concurrent runs):
 *   node dist/test/helpers/runner-cli.js run pipeline.yaml ...
 */
import { main } from '../../src/cli.js';
import { testRegistry } from './runner-steps.js';

// `node --test dist/test/` also runs every file under test/ as a test: with no arguments,
// this is that run, not a CLI call, so do nothing.
if (process.argv.length > 2) {
  main(process.argv.slice(2), { registry: testRegistry() }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
