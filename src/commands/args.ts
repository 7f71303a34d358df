/**
 * What every command shares and nothing heavy: parsing its flags, the usage error and its exit
 * status, and printing diagnostics. Apart from common.ts (pipelines, config and cache folders,
 * which load the YAML and schema machinery, ~70 ms): cli.ts and the commands that need no
 * pipeline (evaluate, synth) start without it.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from '../base/suggest.js';
import { formatDiagnostic, type Diagnostic } from '../base/diagnostic.js';
import type { CliEnv } from '../cli-env.js';

/** Exit status for bad command-line usage. */
export const USAGE_EXIT = 2;

export class UsageError extends Error {}

export function parseCommandArgs<T extends ParseArgsConfig['options']>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), allowPositionals: true, strict: true, options });
  } catch (err) {
    const message = (err as Error).message;
    // An unknown flag: name the closest one and point at --help, rather than print all of it.
    const unknown = /^Unknown option '(--?[^']+)'/.exec(message)?.[1];
    if (unknown) {
      const entries = Object.entries(options ?? {}) as [string, { short?: string }][];
      const names = entries.map(([n]) => (n.length === 1 ? `-${n}` : `--${n}`)).concat(entries.flatMap(([, o]) => (o.short ? [`-${o.short}`] : [])));
      const command = /^usage: (lvis-pipe \S+)/.exec(usage)?.[1] ?? 'lvis-pipe';
      throw new UsageError(`unknown option ${unknown}${didYouMean(unknown, names)}; \`${command} --help\` lists the options`);
    }
    throw new UsageError(`${message}\n\n${usage}`);
  }
}

/**
 * `--seed -1` → `--seed=-1`: node's parseArgs refuses a value that starts with a dash, so a
 * negative number would get "argument is ambiguous" instead of the flag's own range check.
 */
function joinNegativeValues(argv: string[], options: ParseArgsConfig['options']): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    if (name && !name.includes('=') && options?.[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Prints diagnostics (as text on stderr, or as one JSON line on stdout with --json). */
export function printDiagnostics(env: CliEnv, diags: readonly Diagnostic[], json: boolean, exitCode: number): void {
  if (json) {
    env.stdout.write(JSON.stringify({ type: 'diagnostics', diagnostics: diags, exitCode }) + '\n');
    return;
  }
  for (const d of diags) env.stderr.write((d.location ? '' : 'error: ') + formatDiagnostic(d) + '\n');
  const n = diags.filter((d) => d.severity === 'error').length;
  if (n > 1) env.stderr.write(`${n} errors\n`);
}
