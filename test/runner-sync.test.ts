/**
 * The runner's `sync` hook and `syncFolders` (src/runner/step/step.ts), generic: a step keeps a
 * folder the runner does not store in line with its cached outputs, on every run, cache hits
 * included; what it fetches goes to a data folder of the cache that outlives runs and is shared
 * by sweep variants; the folder is not part of the key, moves into a sweep variant's folder, and
 * may hold no other file of the run. Driven through the real CLI with the `mirror` test step
 * (test/helpers/sync-step.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunEvent } from '../src/runner/exec/events.js';
import { runCli, statuses, Workspace } from './helpers/runner-fixture.js';

const pipeline = (dir: string, extra = '') => `params:
  more: ""
steps:
  src: { type: source, options: { path: data/names.txt } }
  up: { type: upper, inputs: { text: src }, options: { suffix: "\${params.more}" } }
  files: { type: mirror, inputs: { text: up }, options: { dir: ${dir}${extra} } }
`;

const logsOf = (events: RunEvent[], id: string) => events.flatMap((e) => (e.type === 'step-log' && e.stepId === id ? [e.message] : []));
const listing = (dir: string) => readdirSync(dir).sort();

describe('sync: a folder kept in line with a step’s outputs', () => {
  let ws: Workspace;
  const fetches = () => readFileSync(ws.path('.lvis-pipe/data/mirror/fetches.log'), 'utf8').trim().split('\n').sort();
  before(() => {
    ws = new Workspace();
    ws.write('data/names.txt', 'a,b,c');
  });
  after(() => ws.remove());

  it('runs after the step ran, and again on a cache hit, where it restores what the user deleted', async () => {
    ws.write('p.yaml', pipeline('out/files'));
    const first = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir });
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(listing(ws.path('out/files')), ['A', 'B', 'C']);
    assert.deepEqual(logsOf(first.events, 'files'), ['placed 3, removed 0, fetched 3']);
    rmSync(ws.path('out/files/B'));
    writeFileSync(ws.path('out/files/stray'), 'not ours');
    const again = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(statuses(again.events).files, 'cached');
    assert.deepEqual(listing(ws.path('out/files')), ['A', 'B', 'C']);
    assert.deepEqual(logsOf(again.events, 'files'), ['placed 1, removed 1, fetched 0']);
    const progress = again.events.filter((e) => e.type === 'step-progress' && e.stepId === 'files');
    assert.ok(progress.some((e) => e.type === 'step-progress' && e.detail === '0 fetched'), 'the progress detail reaches the reporter');
  });

  it('the folder is not part of the key: another folder is a cache hit, filled from the data folder without fetching again', async () => {
    ws.write('p.yaml', pipeline('elsewhere/files'));
    const r = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir });
    assert.equal(statuses(r.events).files, 'cached');
    assert.deepEqual(listing(ws.path('elsewhere/files')), ['A', 'B', 'C']);
    assert.deepEqual(fetches(), ['A', 'B', 'C']);
  });

  it('a changed output makes the folder hold exactly the new names: only the new one is fetched', async () => {
    ws.write('p.yaml', pipeline('out/files'));
    ws.write('data/names.txt', 'a,d');
    const r = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir });
    assert.equal(statuses(r.events).files, 'ran');
    assert.deepEqual(listing(ws.path('out/files')), ['A', 'D']);
    assert.deepEqual(fetches(), ['A', 'B', 'C', 'D']);
  });

  it('a sync that fails fails the step (exit 1) and keeps its stored result: the next run is a hit that syncs again', async () => {
    ws.write('q.yaml', pipeline('out/q', ', fail_sync: true'));
    const r = await runCli(['run', 'q.yaml', '--json', '--cache-dir', 'cq'], { cwd: ws.dir });
    assert.equal(r.code, 1);
    const failed = r.events.find((e) => e.type === 'step-failed');
    assert.ok(failed?.type === 'step-failed' && failed.stepId === 'files' && failed.diagnostics?.[0]?.message === 'mirror: sync failed on purpose');
    assert.ok(ws.records(ws.path('cq')).some((rec) => rec.stepId === 'files'), 'the step’s outputs were stored before its sync');
    const again = await runCli(['run', 'q.yaml', '--json', '--cache-dir', 'cq'], { cwd: ws.dir });
    assert.equal(again.code, 1);
    assert.equal(statuses(again.events).files, 'failed');
    assert.ok(again.events.some((e) => e.type === 'step-failed' && e.stepId === 'files'));
  });

  it('a sweep moves the folder into each variant’s folder; the variants share the data folder', async () => {
    ws.write('data/names.txt', 'a');
    ws.write('s.yaml', `${pipeline('out/files')}sweep:\n  grid:\n    more: [",x", ",y"]\n`);
    const r = await runCli(['sweep', 's.yaml', '--json', '--cache-dir', 'cs'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    const variants = readdirSync(ws.path('out/sweep')).filter((n) => n.startsWith('more='));
    assert.equal(variants.length, 2);
    const lists = variants.map((v) => listing(ws.path('out/sweep', v, 'files')).join(','));
    assert.deepEqual(lists.sort(), ['A,x', 'A,y']);
    assert.deepEqual(readFileSync(ws.path('cs/data/mirror/fetches.log'), 'utf8').trim().split('\n').sort(), ['A', 'x', 'y']);
    assert.equal(existsSync(path.join(ws.path('out/files'), 'x')), false, 'the plain folder is left alone');
  });

  it('a folder that holds another file of the run is refused before anything runs', async () => {
    ws.write(
      'bad.yaml',
      `steps:\n  src: { type: source, options: { path: data/names.txt } }\n  files: { type: mirror, inputs: { text: src }, options: { dir: out } }\n  copy: { type: write, inputs: { text: src }, options: { out: out/copy.txt } }\n  inside: { type: mirror, inputs: { text: src }, options: { dir: data } }\n`,
    );
    const r = await runCli(['validate', 'bad.yaml'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    const out = r.stdout + r.stderr;
    assert.match(out, /bad\.yaml:3:\d+: the folder `dir` of step `files` is out, which holds the output `file` of step `copy` \(out\/copy\.txt\): the step keeps that folder to its own files/);
    assert.match(out, /bad\.yaml:5:\d+: the folder `dir` of step `inside` is data, which holds the input `path` of step `src` \(data\/names\.txt\)/);
  });

  it('a folder option is resolved against the pipeline’s folder and keyed as written relative to it', async () => {
    ws.write('sub/names.txt', 'a');
    ws.write('sub/f.yaml', `steps:\n  src: { type: source, options: { path: names.txt } }\n  files: { type: mirror, inputs: { text: src }, options: { dir: out, from: coco } }\n`);
    const r = await runCli(['run', 'sub/f.yaml', '--json', '--cache-dir', 'cf'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(logsOf(r.events, 'files').includes(`from ${ws.path('sub/coco')}`));
    const rec = ws.records(ws.path('cf')).find((x) => x.stepId === 'files')!;
    assert.equal(rec.material.options.from, 'coco');
  });

  it('cache gc keeps the data folder, cache ls counts it and cache clear empties it', async () => {
    const gc = await runCli(['cache', 'gc', '--cache-dir', 'cs', '--keep', '0'], { cwd: ws.dir });
    assert.equal(gc.code, 0, gc.stderr);
    assert.deepEqual(readFileSync(ws.path('cs/data/mirror/fetches.log'), 'utf8').trim().split('\n').sort(), ['A', 'x', 'y']);
    const ls = await runCli(['cache', 'ls', '--cache-dir', 'cs'], { cwd: ws.dir });
    assert.match(ls.stdout, /data\/: \d+ B in 4 files that steps fetched/);
    const clear = await runCli(['cache', 'clear', '--cache-dir', 'cs'], { cwd: ws.dir });
    assert.equal(clear.code, 0, clear.stderr);
    assert.equal(existsSync(ws.path('cs/data')), false);
  });
});
