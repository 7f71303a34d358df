import type { CliEnv } from '../cli-env.js';
import { escapeControls } from '../base/diagnostic.js';
import type { CommandModule } from './command.js';
import { loadPipelineContext, PIPELINE_FLAGS, PIPELINE_FLAGS_HELP } from './common.js';
import { parseCommandArgs, UsageError } from './args.js';

const usage = `usage: lvis-pipe validate FILE [options]

Checks a pipeline without running anything: YAML syntax, the schema (unknown options,
wrong types, missing required options, per step type), unknown step types, references to
missing steps or outputs, inputs wired to outputs of the wrong kind, cycles, params and
their overrides, and that input files exist. Every error is printed as
file:line:col: message, with the offending line; all of them at once.

exit status: 0 valid; 2 invalid.

options:
${PIPELINE_FLAGS_HELP}

example:
  lvis-pipe validate pipelines/mini-lvis.yaml --set total_images=500`;

/** The command's flags, declared once (parsed by `run`, and by the docs test). */
const flags = PIPELINE_FLAGS;

export const command: CommandModule = {
  options: flags,
  usage,
  async run(argv: string[], env: CliEnv): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, flags, usage);
    if (positionals.length > 1) throw new UsageError(`expected one pipeline FILE\n\n${usage}`);
    const { pipeline } = await loadPipelineContext(env, positionals[0], values, usage);
    if (values.json) env.stdout.write(JSON.stringify({ valid: true, pipeline: pipeline.displayFile, steps: pipeline.order, params: pipeline.params }) + '\n');
    else {
      const n = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
      env.stdout.write(`${escapeControls(pipeline.displayFile)}: ok (${n(pipeline.order.length, 'step')}, ${n(Object.keys(pipeline.params).length, 'param')})\n`);
    }
    return 0;
  },
};
