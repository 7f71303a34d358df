/**
 * A test step with a `sync` (src/runner/step/step.ts): it keeps a folder holding one file per
 * name of its input (a comma-separated list), "fetching" each name once into the cache's data
 * folder (a line in `fetches.log` there), then copying it into the folder, and removing every
 * other file there. The folder is a `syncFolders` option, as the images step's folder is.
 */
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DiagnosticError } from '../../src/base/diagnostic.js';
import type { StepModule } from '../../src/runner/step/step.js';

export const mirror: StepModule<{ dir?: string; from?: string; fail_sync: boolean }, { text: string }, { names: string }> = {
  type: 'mirror',
  version: 1,
  description: 'keeps a folder of one file per name of its input',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { dir: { type: 'string', description: 'the folder' }, from: { type: 'string', description: 'a folder read (logged)' }, fail_sync: { type: 'boolean', default: false } },
  },
  inputs: { text: { kind: 'text' } },
  outputs: { names: { kind: 'text' } },
  syncFolders: ['dir'],
  folderOptions: ['from'],
  async run(ctx) {
    return { names: ctx.inputs.text.split(',').map((s) => s.trim()).filter(Boolean).join(',') };
  },
  async sync(ctx) {
    const dir = ctx.options.dir;
    if (!dir) return;
    if (ctx.options.from) ctx.log(`from ${ctx.options.from}`);
    if (ctx.options.fail_sync) throw new DiagnosticError([{ severity: 'error', message: 'mirror: sync failed on purpose' }]);
    const names = ctx.outputs.names.split(',');
    mkdirSync(dir, { recursive: true });
    let fetched = 0;
    let placed = 0;
    ctx.progress.start('placing', names.length, 'files');
    names.forEach((n, i) => {
      const stored = path.join(ctx.dataDir, n);
      if (!existsSync(stored)) {
        writeFileSync(stored, `content of ${n}`);
        appendFileSync(path.join(ctx.dataDir, 'fetches.log'), `${n}\n`);
        fetched++;
      }
      if (!existsSync(path.join(dir, n))) {
        copyFileSync(stored, path.join(dir, n));
        placed++;
      }
      ctx.progress.update(i + 1, `${fetched} fetched`);
    });
    ctx.progress.done();
    let removed = 0;
    for (const f of readdirSync(dir)) {
      if (!names.includes(f)) {
        rmSync(path.join(dir, f), { recursive: true });
        removed++;
      }
    }
    ctx.log(`placed ${placed}, removed ${removed}, fetched ${fetched}`);
  },
};
