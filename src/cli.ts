/**
 * The `lvis-pipe` command line: `lvis-pipe COMMAND [args]`. main() returns the exit status.
 * Exit statuses: 0 ok; 1 a step failed or bad data; 2 invalid pipeline or usage; 75 the
 * cache is locked (lock timeout: try again later); 130 interrupted (Ctrl-C), 143 terminated
 * (SIGTERM).
 */
import type { CommandModule } from './commands/command.js';
import { COMMANDS } from './commands/index.js';
import { printDiagnostics, UsageError, USAGE_EXIT } from './commands/args.js';
import type { CliEnv } from './cli-env.js';
import { DiagnosticError, escapeControls } from './base/diagnostic.js';
import { StepRegistry } from './runner/step/registry.js';
import { displayPath, setDisplayBase } from './base/display-path.js';
import { pathProblem } from './base/fs-problems.js';

export type { CliEnv };

async function defaultRegistry(): Promise<StepRegistry> {
  const moduleUrl = new URL('./steps/index.js', import.meta.url).href;
  const { STEP_MODULES } = (await import(moduleUrl)) as typeof import('./steps/index.js');
  return new StepRegistry(STEP_MODULES, { moduleUrl, exportName: 'STEP_MODULES' });
}

async function findCommand(name: string): Promise<CommandModule | undefined> {
  return (await COMMANDS.find((c) => c.name === name)?.load())?.command;
}

/** The registry of a command that never looks at step types (CommandEntry.steps). */
const NO_STEPS = new StepRegistry([]);

export async function helpText(): Promise<string> {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'lvis-pipe: a declarative, cached pipeline runner that builds balanced mini-LVIS subsets',
    '',
    'usage: lvis-pipe COMMAND [options]    (lvis-pipe COMMAND --help for details)',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

export async function main(argv: string[], partial: Partial<CliEnv> = {}): Promise<number> {
  const stdout = partial.stdout ?? process.stdout;
  const [name, ...rest] = argv;
  // Help needs no step registry (and so does not load the step modules).
  if (name === 'help' && rest[0] !== undefined) {
    // `lvis-pipe help run` is `lvis-pipe run --help`.
    const wanted = await findCommand(rest[0]);
    if (wanted) {
      stdout.write(wanted.usage.trimEnd() + '\n');
      return 0;
    }
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    stdout.write((await helpText()) + '\n');
    return name ? 0 : USAGE_EXIT;
  }
  const command = await findCommand(name);
  if (command && (rest.includes('--help') || rest.includes('-h'))) {
    stdout.write(command.usage.trimEnd() + '\n');
    return 0;
  }
  if (name === '--version' || name === '-v') {
    const { createRequire } = await import('node:module');
    const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
    stdout.write(pkg.version + '\n');
    return 0;
  }
  if (!command) {
    (partial.stderr ?? process.stderr).write(`lvis-pipe: unknown command \`${escapeControls(name)}\`\n\n${await helpText()}\n`);
    return USAGE_EXIT;
  }
  const env: CliEnv = {
    registry: partial.registry ?? (COMMANDS.find((c) => c.name === name)?.steps === false ? NO_STEPS : await defaultRegistry()),
    stdout,
    stderr: partial.stderr ?? process.stderr,
    cwd: partial.cwd ?? process.cwd(),
    interactive: partial.interactive ?? (process.stdout.isTTY === true && !process.env.CI),
    handleSignals: partial.handleSignals ?? true,
  };
  if (!partial.stdout) {
    // `lvis-pipe ... | head`: a closed pipe is not an error.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
  setDisplayBase(env.cwd);
  const json = rest.includes('--json');
  try {
    return await command.run(rest, env);
  } catch (err) {
    if (err instanceof DiagnosticError) {
      printDiagnostics(env, err.diagnostics, json, err.exitCode);
      return err.exitCode;
    }
    if (err instanceof UsageError) {
      // A usage error quotes what was typed (a step name, a file name): control characters escaped.
      env.stderr.write(`lvis-pipe ${name}: ${escapeControls(err.message)}\n`);
      return USAGE_EXIT;
    }
    // The last net for the filesystem's answers to the user's paths (a full disk, no permission)
    // that no closer place put in words: said plainly, not as a crash.
    const why = pathProblem(err);
    const at = (err as NodeJS.ErrnoException).path;
    if (why && at !== undefined) {
      env.stderr.write(`error: cannot write ${displayPath(at)}: ${why}; free some space or choose another place, then run the command again\n`);
      return 1;
    }
    throw err;
  }
}
