import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import type { CliEnv } from '../cli-env.js';
import { DiagnosticError } from '../base/diagnostic.js';
import { displayPath } from '../base/display-path.js';
import { afterRunSteps, runAfterRunHooks, storedOutputReader } from '../runner/exec/after-run.js';
import { readHistory, recordedRunFiles, resolveRunRef } from '../runner/cache/history.js';
import type { CommandModule } from './command.js';
import { loadPipelineContext, readOnlyStore, PIPELINE_FLAGS, PIPELINE_FLAGS_HELP, refuseCommandWrite } from './common.js';
import { parseCommandArgs, UsageError } from './args.js';

const usage = `usage: lvis-pipe report FILE [--run RUN] [--out PATH] [options]

Writes the HTML report of a finished run of the pipeline (the latest one, or --run RUN):
one self-contained page, readable offline, with the parameters, the DAG with each step's
cache status and time, the quality metrics and every chart. The pipeline needs a \`report\`
step, and the run must have completed it; the page goes to that step's \`out\` option.

options:
      --run RUN          the run to report (default @): a run id as \`lvis-pipe runs\` shows
                         it, a prefix of one (4+ characters), @ for the newest run or
                         @~N for N runs before it (@ and @~N count plain runs: a sweep
                         variant's report is in its folder; name a variant by its id)
      --out PATH         write here instead of the report step's \`out\`
${PIPELINE_FLAGS_HELP}

example:
  lvis-pipe run pipelines/mini-lvis.yaml && lvis-pipe report pipelines/mini-lvis.yaml`;

/** The command's flags, declared once: parsed by `run`, and by the docs test that checks every command line in the docs. */
const flags = { ...PIPELINE_FLAGS, run: { type: 'string' }, out: { type: 'string' } } as const satisfies ParseArgsConfig['options'];

export const command: CommandModule = {
  options: flags,
  usage,
  async run(argv: string[], env: CliEnv): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, flags, usage);
    if (positionals.length > 1) throw new UsageError(`expected one pipeline FILE, got ${positionals.length}\n\n${usage}`);
    const ctx = await loadPipelineContext(env, positionals[0], values, usage, false);
    const { pipeline, cacheDir } = ctx;
    const fail = (message: string) => new DiagnosticError([{ severity: 'error', message }], 1);
    const hooked = [...pipeline.steps.values()].filter((s) => s.module.afterRun !== undefined);
    if (hooked.length === 0) {
      throw fail(`${pipeline.displayFile} has no step that writes a report after the run: add one (type: report) to get a report`);
    }
    const store = readOnlyStore(env, cacheDir);
    // The pipeline's runs, newest first. `@` (the default) and `@~N` count its plain runs: a
    // sweep variant's report lives in the variant's folder, and is named by its run id.
    const runs = (await readHistory(store)).filter((r) => r.pipelineId === pipeline.id);
    const plain = runs.filter((r) => r.label === undefined);
    const ref = values.run ?? '@';
    if (ref.startsWith('@') && plain.length === 0) {
      if (runs.length > 0) {
        throw fail(
          `${pipeline.displayFile} has only been run as sweep variants (${runs.length}); the sweep wrote each variant's report into ` +
            `the variant's folder. To report one of them here, name it: --run ID (lvis-pipe runs ${pipeline.displayFile} lists them)`,
        );
      }
      throw fail(`${pipeline.displayFile} has not been run yet (lvis-pipe run ${pipeline.displayFile})`);
    }
    const history = resolveRunRef(ref, ref.startsWith('@') ? plain : runs, `among the runs of ${pipeline.displayFile}`);
    const out = values.out !== undefined ? path.resolve(env.cwd, values.out) : undefined;
    // Never over a file the run read or wrote (as the pipeline resolves now or as the run
    // recorded it), the pipeline, params or config file, nor into the cache.
    if (out !== undefined) refuseCommandWrite('--out', out, ctx, await recordedRunFiles(store, history, pipeline.dir), { skipAfterRun: true });
    const ran = afterRunSteps(pipeline, history);
    if (ran.length === 0) {
      const status = hooked.map((s) => `${s.id} ${history.steps[s.id]?.status ?? 'not run'}`).join(', ');
      throw fail(`run ${history.runId} did not complete its report step (status: ${status})`);
    }
    const outcomes = await runAfterRunHooks(pipeline, history, storedOutputReader(store, env.registry), out ? { out } : {});
    const failure = outcomes.find((o) => o.error !== undefined);
    if (failure) throw failure.error;
    const written = outcomes.flatMap((o) => o.written);
    if (values.json) env.stdout.write(JSON.stringify({ type: 'report', runId: history.runId, files: written }) + '\n');
    else for (const f of written) env.stdout.write(`report of run ${history.runId}: ${displayPath(f)}\n`);
    return 0;
  },
};
