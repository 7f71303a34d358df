import type { ParseArgsConfig } from 'node:util';
import type { CliEnv } from '../cli-env.js';
import { streamWidth, table } from '../base/format.js';
import { shortHash } from '../runner/cache/hash.js';
import { planPipeline } from '../runner/graph/plan.js';
import type { CommandModule } from './command.js';
import { loadPipelineContext, readOnlyStore, PIPELINE_FLAGS, PIPELINE_FLAGS_HELP } from './common.js';
import { parseCommandArgs, UsageError } from './args.js';

const usage = `usage: lvis-pipe plan FILE [options]

A dry run: lists every step as \`cached\`, \`restore\` (cached, an output file to rewrite)
or \`will run\`, with the reason (new; option alpha 0.6 → 0.7; input \`train\` changed;
file data/x.json changed; step version changed; output file out/mini_lvis_train.json missing).
Nothing runs; the cache is only read (file digests may be added to its stat cache).

options:
      --force STEP       as for run
      --force-all        as for run
      --only STEP        as for run
${PIPELINE_FLAGS_HELP}

example:
  lvis-pipe plan pipelines/mini-lvis.yaml --set alpha=0.7`;

/** The command's flags, declared once: parsed by `run`, and by the docs test that checks every command line in the docs. */
const flags = { ...PIPELINE_FLAGS, force: { type: 'string', multiple: true }, 'force-all': { type: 'boolean' }, only: { type: 'string', multiple: true } } as const satisfies ParseArgsConfig['options'];

export const command: CommandModule = {
  options: flags,
  usage,
  async run(argv: string[], env: CliEnv): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, flags, usage);
    if (positionals.length > 1) throw new UsageError(`expected one pipeline FILE\n\n${usage}`);
    const { pipeline, cacheDir } = await loadPipelineContext(env, positionals[0], values, usage);
    for (const id of [...(values.force ?? []), ...(values.only ?? [])]) {
      if (!pipeline.steps.has(id)) throw new UsageError(`no step \`${id}\` in ${pipeline.displayFile}; its steps: ${pipeline.order.join(', ')}`);
    }
    const store = readOnlyStore(env, cacheDir);
    const statCache = store.statCache;
    const entries = await planPipeline(pipeline, store, statCache, {
      ...(values['force-all'] ? { force: 'all' as const } : values.force ? { force: new Set(values.force) } : {}),
      ...(values.only ? { only: values.only } : {}),
    });
    // The files it hashed need no hashing next time; a cache folder it may not write to (plan
    // only reads) just does not learn them.
    await statCache.save().catch(() => {});
    if (values.json) {
      env.stdout.write(JSON.stringify({ pipeline: pipeline.displayFile, params: pipeline.params, steps: entries }, null, 2) + '\n');
      return 0;
    }
    const label = { cached: 'cached', restore: 'restore', run: 'will run' } as const;
    env.stdout.write(table(['step', 'type', 'plan', 'key', 'why'], entries.map((e) => [e.id, e.type, label[e.action], shortHash(e.key), e.reasons.join('; ')]), streamWidth(env.stdout)) + '\n');
    const n = (a: string) => entries.filter((e) => e.action === a).length;
    env.stdout.write(`\n${n('run')} to run, ${n('cached') + n('restore')} cached${n('restore') ? ` (${n('restore')} with output files to restore)` : ''}\n`);
    const byInputs = entries.filter((e) => e.action === 'run' && e.reasons.length > 0 && e.reasons.every((r) => /^input `[^`]+` (changed|added)$/.test(r)));
    if (byInputs.length) {
      env.stdout.write(
        `${byInputs.length} of them run only because an input changed: any whose inputs come out byte-identical to an earlier run's will reuse that result instead (early cutoff)\n`,
      );
    }
    return 0;
  },
};
