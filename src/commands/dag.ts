import type { ParseArgsConfig } from 'node:util';
import type { CliEnv } from '../cli-env.js';
import { escapeControls } from '../base/diagnostic.js';
import { DAG_FORMATS, renderDag, type DagFormat } from '../runner/graph/dag.js';
import type { CommandModule } from './command.js';
import { loadPipelineContext, PIPELINE_FLAGS, PIPELINE_FLAGS_HELP } from './common.js';
import { parseCommandArgs, UsageError } from './args.js';

const usage = `usage: lvis-pipe dag FILE [--format text|mermaid|dot] [options]

Prints the pipeline's steps and how they are wired: inputs, files read, output files.
  text      an indented listing (default)
  mermaid   a Mermaid flowchart (paste into a Markdown \`\`\`mermaid block)
  dot       Graphviz (lvis-pipe dag FILE --format dot | dot -Tsvg > dag.svg)

options:
  -f, --format FORMAT    text, mermaid or dot
${PIPELINE_FLAGS_HELP}

example:
  lvis-pipe dag pipelines/mini-lvis.yaml --format mermaid`;

/** The command's flags, declared once: parsed by `run`, and by the docs test that checks every command line in the docs. */
const flags = { ...PIPELINE_FLAGS, format: { type: 'string', short: 'f' } } as const satisfies ParseArgsConfig['options'];

export const command: CommandModule = {
  options: flags,
  usage,
  async run(argv: string[], env: CliEnv): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, flags, usage);
    const format = (values.format ?? 'text') as DagFormat;
    if (!DAG_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${DAG_FORMATS.join(', ')}, got ${values.format}`);
    if (positionals.length > 1) throw new UsageError(`expected one pipeline FILE\n\n${usage}`);
    const { pipeline } = await loadPipelineContext(env, positionals[0], values, usage, false);
    // Step descriptions and file names may hold control characters: shown escaped in every format.
    env.stdout.write(escapeControls(renderDag(pipeline, format)));
    return 0;
  },
};
