import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import type { CliEnv } from '../cli-env.js';
import { buildPipelineSchema } from '../runner/pipeline/schema.js';
import type { CommandModule } from './command.js';
import { parseCommandArgs, UsageError } from './args.js';

const usage = `usage: lvis-pipe schema [--out FILE]

Prints the JSON Schema of pipeline files, composed from every step type's options
schema (option values may also be \${params.name} references). Editors use it through a
first line in the pipeline file such as
  # yaml-language-server: $schema=../schemas/pipeline.schema.json
\`npm run schema\` regenerates the committed schemas/pipeline.schema.json.

options:
      --out FILE   write it to FILE (atomically) instead of stdout
  -h, --help       this help

example:
  lvis-pipe schema --out schemas/pipeline.schema.json`;

export function schemaText(env: CliEnv): string {
  return JSON.stringify(buildPipelineSchema(env.registry, { paramRefs: true }), null, 2) + '\n';
}

/** The command's flags, declared once: parsed by `run`, and by the docs test that checks every command line in the docs. */
const flags = { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const satisfies ParseArgsConfig['options'];

export const command: CommandModule = {
  options: flags,
  usage,
  async run(argv: string[], env: CliEnv): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, flags, usage);
    if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}\n\n${usage}`);
    const text = schemaText(env);
    if (!values.out) {
      env.stdout.write(text);
      return 0;
    }
    const out = path.resolve(env.cwd, values.out);
    await mkdir(path.dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, out);
    env.stderr.write(`wrote ${values.out}\n`);
    return 0;
  },
};
