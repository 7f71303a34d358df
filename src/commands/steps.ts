import type { ParseArgsConfig } from 'node:util';
import type { CliEnv } from '../cli-env.js';
import { didYouMean } from '../base/suggest.js';
import type { CommandModule } from './command.js';
import { parseCommandArgs, UsageError } from './args.js';
import { stepDoc, stepDocs, stepDocText } from './step-docs.js';

const usage = `usage: lvis-pipe steps [TYPE] [--json]

Without TYPE, lists the step types a pipeline can use. With TYPE, shows that step's inputs,
outputs and options: each option's accepted values, default and meaning, as declared in the
step's code (the same declaration the pipeline is validated against).

options:
      --json             machine-readable output
  -h, --help             this help

examples:
  lvis-pipe steps
  lvis-pipe steps greedy-sample`;

/** The command's flags, declared once: parsed by `run`, and by the docs test that checks every command line in the docs. */
const flags = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const satisfies ParseArgsConfig['options'];

export const command: CommandModule = {
  options: flags,
  usage,
  async run(argv: string[], env: CliEnv): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, flags, usage);
    if (positionals.length > 1) throw new UsageError(`expected at most one step TYPE\n\n${usage}`);
    const type = positionals[0];
    if (type === undefined) {
      const docs = stepDocs(env.registry);
      if (values.json) env.stdout.write(JSON.stringify(docs) + '\n');
      else {
        const width = Math.max(...docs.map((d) => d.type.length));
        for (const d of docs) env.stdout.write(`${d.type.padEnd(width)}  ${d.description}\n`);
      }
      return 0;
    }
    const mod = env.registry.get(type);
    if (!mod) throw new UsageError(`no step type \`${type}\`${didYouMean(type, env.registry.types())}; \`lvis-pipe steps\` lists them`);
    const doc = stepDoc(mod);
    env.stdout.write((values.json ? JSON.stringify(doc) : stepDocText(doc)) + '\n');
    return 0;
  },
};
