import type { ParseArgsConfig } from 'node:util';
import type { CliEnv } from '../cli-env.js';
import { DiagnosticError } from '../base/diagnostic.js';
import type { CommandModule } from './command.js';
import { loadPipelineContext, PIPELINE_FLAGS, PIPELINE_FLAGS_HELP } from './common.js';
import { parseCommandArgs, UsageError } from './args.js';
import { outputFolders } from '../runner/exec/output-locks.js';
import { DEFAULT_LOCK_TIMEOUT_S, interruptExitCode, openExecution } from './session.js';

const usage = `usage: lvis-pipe run FILE [options]

Runs the pipeline: every step whose cache key has a stored result is a cache hit (its
output files are restored if missing); the others run, independent ones in parallel.

options:
      --force STEP       run STEP even if cached (repeatable)
      --force-all        run every step
      --only STEP        run only STEP and the steps it needs (repeatable)
  -j, --jobs N           CPU-heavy steps (worker threads) running at once, and light ones
                         beside them (default: config jobs, else the CPU count)
      --lock-timeout S   seconds to wait for another run's cache lock (default ${DEFAULT_LOCK_TIMEOUT_S})
      --no-workers       run cpu-heavy steps on the main thread
  -q, --quiet            print only errors
${PIPELINE_FLAGS_HELP}

exit status: 0 all steps ok; 1 a step failed; 2 invalid pipeline or usage; 75 the cache
is locked by another run (--lock-timeout passed: try again later); 130 interrupted
(Ctrl-C); 143 terminated.

example:
  lvis-pipe run pipelines/mini-lvis.yaml --set alpha=0.7 --jobs 2`;

/** The command's flags, declared once: parsed by `run`, and by the docs test that checks every command line in the docs. */
const flags = {
  ...PIPELINE_FLAGS,
  force: { type: 'string', multiple: true },
  'force-all': { type: 'boolean' },
  only: { type: 'string', multiple: true },
  jobs: { type: 'string', short: 'j' },
  'lock-timeout': { type: 'string' },
  'no-workers': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const satisfies ParseArgsConfig['options'];

export const command: CommandModule = {
  options: flags,
  usage,
  async run(argv: string[], env: CliEnv): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, flags, usage);
    if (positionals.length > 1) throw new UsageError(`expected one pipeline FILE, got ${positionals.length}\n\n${usage}`);
    const ctx = await loadPipelineContext(env, positionals[0], values, usage);
    const { pipeline, config } = ctx;
    for (const id of [...(values.force ?? []), ...(values.only ?? [])]) {
      if (!pipeline.steps.has(id)) {
        throw new DiagnosticError([{ severity: 'error', message: `no step \`${id}\` in ${pipeline.displayFile}; its steps: ${pipeline.order.join(', ')}` }], 2);
      }
    }
    const { reporter, session, executor } = await openExecution(env, ctx.cacheDir, config, values, `lvis-pipe run ${pipeline.displayFile}`, outputFolders([pipeline]));
    try {
      const result = await executor.runPipeline(pipeline, {
        ...(values['force-all'] ? { force: 'all' as const } : values.force ? { force: new Set(values.force) } : {}),
        ...(values.only ? { only: values.only } : {}),
      });
      reporter.close();
      if (result.status === 'interrupted') return interruptExitCode(session.interruptedBy());
      return result.status === 'ok' ? 0 : 1;
    } finally {
      reporter.close();
      session.close();
    }
  },
};
