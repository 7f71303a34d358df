import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import type { CliEnv } from '../cli-env.js';
import { DiagnosticError } from '../base/diagnostic.js';
import { formatBytes, streamWidth, table } from '../base/format.js';
import { cacheUsage, clearCache, collectGarbage } from '../runner/cache/gc.js';
import { shortHash } from '../runner/cache/hash.js';
import { CacheStore } from '../runner/cache/store.js';
import { verifyCache } from '../runner/cache/verify.js';
import { describeProblem } from '../runner/cache/integrity.js';
import { displayPath } from '../base/display-path.js';
import type { CommandModule } from './command.js';
import { locateCache, readOnlyStore, requireCacheFolder } from './common.js';
import { parseCommandArgs, UsageError } from './args.js';
import { DEFAULT_LOCK_TIMEOUT_S, openSession } from './session.js';

const DEFAULT_KEEP = 10;

const usage = `usage: lvis-pipe cache ls|verify|gc|clear [FILE] [options]

  ls      what the cache holds: size, and per known pipeline its steps' keys and status
  verify  read every object and check it against its sha256, and every record, history
          entry, state and compiled validator against its seal; report what fails
          (exit 1). With --repair, move it to quarantine/: the steps that made it run
          again next time
  gc      remove what is no longer needed: keeps the results of the last resolved steps
          of every known pipeline (whose file still exists) and of the last N runs,
          removes the other run records and every object they alone used; says how
          much space it freed
  clear   remove everything in the cache

The cache folder is --cache-dir DIR, else the config's cacheDir, else .lvis-pipe/ beside
FILE (a pipeline file), else .lvis-pipe/ in the current directory.

exit status: 0 ok; 1 verify found damage (without --repair); 2 usage, or no cache
folder there; 75 the cache is locked by a run (gc, clear, verify --repair).

options:
      --keep N          gc: also keep what the last N runs used (default ${DEFAULT_KEEP})
      --dry-run         gc: only say what would be removed
      --drop-intermediate
                        gc: also remove the results of steps that write no output
                        file (parsed datasets, statistics, the sample): the cache then
                        holds little beyond the output files it hard-links, and the
                        next run computes those steps again (~2 s at full LVIS scale)
      --repair          verify: move what fails its check to quarantine/
      --cache-dir DIR   the cache folder
      --json            machine-readable output (ls, gc)
  -h, --help            this help

examples:
  lvis-pipe cache ls pipelines/mini-lvis.yaml
  lvis-pipe cache verify pipelines/mini-lvis.yaml --repair
  lvis-pipe cache gc pipelines/mini-lvis.yaml --keep 3
  lvis-pipe cache gc pipelines/mini-lvis.yaml --drop-intermediate`;

/** The command's flags, declared once: parsed by `run`, and by the docs test that checks every command line in the docs. */
const flags = {
  keep: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'drop-intermediate': { type: 'boolean' },
  repair: { type: 'boolean' },
  'cache-dir': { type: 'string' },
  'lock-timeout': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const command: CommandModule = {
  options: flags,
  usage,
  async run(argv: string[], env: CliEnv): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, flags, usage);
    const [sub, file, ...extra] = positionals;
    if (!sub || !['ls', 'verify', 'gc', 'clear'].includes(sub)) throw new UsageError(`expected ls, verify, gc or clear\n\n${usage}`);
    if (extra.length) throw new UsageError(`unexpected argument ${extra[0]}\n\n${usage}`);
    const keep = values.keep !== undefined ? Number(values.keep) : DEFAULT_KEEP;
    if (!Number.isInteger(keep) || keep < 0) throw new UsageError(`--keep must be a whole number ≥ 0, got ${values.keep}`);
    if (file && !existsSync(path.resolve(env.cwd, file))) {
      throw new DiagnosticError([{ severity: 'error', message: `no pipeline file ${file}: give the pipeline whose cache you mean, or --cache-dir DIR` }], 2);
    }
    const { config, cacheDir } = await locateCache(env, file, values['cache-dir']);
    requireCacheFolder(cacheDir, 'a pipeline FILE');

    if (sub === 'ls') return ls(env, readOnlyStore(env, cacheDir), values.json === true);
    if (sub === 'verify' && !values.repair) return verify(env, new CacheStore(cacheDir, { readOnly: true }), false, values.json === true);

    const session = await openSession(env, cacheDir, {
      lockTimeoutS: Number(values['lock-timeout'] ?? config.config.lockTimeout ?? DEFAULT_LOCK_TIMEOUT_S),
      command: `lvis-pipe cache ${sub}`,
      notice: (m) => env.stderr.write(m + '\n'),
    });
    try {
      if (sub === 'verify') return await verify(env, session.store, true, values.json === true);
      if (sub === 'clear') {
        const { removed, stillLinked } = await clearCache(session.store);
        const linked = stillLinked > 0 ? `; ${formatBytes(stillLinked)} of it stays on the disk as long as the output files linked to it do` : '';
        env.stdout.write(`cleared ${displayPath(cacheDir)}: removed ${formatBytes(removed)}, freed ${formatBytes(removed - stillLinked)}${linked}\n`);
        return 0;
      }
      const r = await collectGarbage(session.store, session.statCache, {
        keepRuns: keep,
        dryRun: values['dry-run'] === true,
        dropIntermediate: values['drop-intermediate'] === true,
      });
      if (values.json) {
        env.stdout.write(JSON.stringify(r) + '\n');
        return 0;
      }
      const verb = values['dry-run'] ? 'would remove' : 'removed';
      for (const f of r.removedStates) env.stdout.write(`${verb} the state of ${displayPath(f)} (the file no longer exists)\n`);
      env.stdout.write(
        `${verb} ${r.removedRecords} run record${r.removedRecords === 1 ? '' : 's'} of ${r.removedKeys} key${r.removedKeys === 1 ? '' : 's'} and ${r.removedObjects} object${r.removedObjects === 1 ? '' : 's'}: ` +
          `${values['dry-run'] ? 'would free' : 'freed'} ${formatBytes(r.bytesFreed)}; kept ${r.keptKeys} key${r.keptKeys === 1 ? '' : 's'} (${formatBytes(r.bytesKept)})\n`,
      );
      return 0;
    } finally {
      session.close();
    }
  },
};

async function ls(env: CliEnv, store: CacheStore, json: boolean): Promise<number> {
  const u = await cacheUsage(store);
  if (json) {
    env.stdout.write(JSON.stringify({ cacheDir: store.root, ...u }) + '\n');
    return 0;
  }
  env.stdout.write(
    `${displayPath(store.root)}: ${formatBytes(u.objectBytes)} in ${u.objects} object${u.objects === 1 ? '' : 's'}; ` +
      `${u.records} run record${u.records === 1 ? '' : 's'} of ${u.keys} key${u.keys === 1 ? '' : 's'}; ${u.history} pipeline run${u.history === 1 ? '' : 's'} in history\n`,
  );
  if (u.dataFiles > 0) env.stdout.write(`data/: ${formatBytes(u.dataBytes)} in ${u.dataFiles} file${u.dataFiles === 1 ? '' : 's'} that steps fetched (downloaded images), kept by gc; \`cache clear\` removes them\n`);
  for (const p of u.pipelines) {
    env.stdout.write(`\n${displayPath(p.file)}${p.state.label ? ` [sweep variant ${p.state.label}]` : ''}${p.exists ? '' : ' (file no longer exists)'}: last run ${p.state.runId}\n`);
    const rows = await Promise.all(
      Object.entries(p.state.steps).map(async ([id, s]) => {
        const rec = await store.validRecord(s.key);
        const size = rec ? Object.values(rec.outputs).reduce((a, o) => a + o.size, 0) : 0;
        return [id, s.type, shortHash(s.key), s.status, rec ? formatBytes(size) : 'not in cache'];
      }),
    );
    env.stdout.write(
      table(['step', 'type', 'key', 'last status', 'outputs'], rows, streamWidth(env.stdout) - 2)
        .split('\n')
        .map((l) => '  ' + l)
        .join('\n') + '\n',
    );
  }
  return 0;
}

async function verify(env: CliEnv, store: CacheStore, repair: boolean, json: boolean): Promise<number> {
  const r = await verifyCache(store);
  if (repair) await store.statCache.save().catch(() => {}); // objects just hashed need no hashing next time
  if (json) {
    env.stdout.write(JSON.stringify({ cacheDir: store.root, ...r, repaired: repair }) + '\n');
    return r.problems.length && !repair ? 1 : 0;
  }
  for (const p of r.problems) env.stdout.write(describeProblem(p, store.root) + '\n');
  const checked = `${r.objects} object${r.objects === 1 ? '' : 's'} (${formatBytes(r.objectBytes)}) and ${r.files} record${r.files === 1 ? '' : 's'}`;
  if (r.problems.length === 0) env.stdout.write(`${displayPath(store.root)}: ${checked} checked: all intact\n`);
  else if (repair) env.stdout.write(`${displayPath(store.root)}: ${checked} checked: ${r.problems.length} damaged, moved to quarantine/; the steps that made them run again next time\n`);
  else env.stdout.write(`${displayPath(store.root)}: ${checked} checked: ${r.problems.length} damaged; \`lvis-pipe cache verify --repair\` moves them aside\n`);
  return r.problems.length && !repair ? 1 : 0;
}
