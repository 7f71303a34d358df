/**
 * Small test steps for the generic runner's tests. They read and write real files and
 * values through the real runner, so every behaviour the tests assert (keys, hits, file
 * restores, failures, workers, interruption) goes through the same code as the LVIS steps.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isMainThread, threadId } from 'node:worker_threads';
import { DiagnosticError } from '../../src/base/diagnostic.js';
import { StepRegistry } from '../../src/runner/step/registry.js';
import type { ArtifactKind, StepModule } from '../../src/runner/step/step.js';
import { mirror } from './sync-step.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

export const TEXT: ArtifactKind<string> = {
  name: 'text',
  storage: 'value',
  description: 'a string',
  encode: (v) => enc.encode(v),
  decode: (b) => dec.decode(b),
};

export const COUNTS: ArtifactKind<Record<string, number>> = {
  name: 'counts',
  storage: 'value',
  description: 'named counts (metrics)',
  encode: (v) => enc.encode(JSON.stringify(v)),
  decode: (b) => JSON.parse(dec.decode(b)) as Record<string, number>,
};

export const NUMBERS: ArtifactKind<number[]> = {
  name: 'numbers',
  storage: 'value',
  encode: (v) => enc.encode(JSON.stringify(v)),
  decode: (b) => JSON.parse(dec.decode(b)) as number[],
};

/** A record whose encoding drops its `_`-prefixed fields (kept in memory only). */
export const LOOSE: ArtifactKind<Record<string, unknown>> = {
  name: 'loose',
  storage: 'value',
  description: 'a record; fields starting with _ are not stored',
  encode: (v) => enc.encode(JSON.stringify(v, (k, x: unknown) => (k.startsWith('_') ? undefined : x))),
  decode: (b) => JSON.parse(dec.decode(b)) as Record<string, unknown>,
};

/** Reads a text file (a file option, hashed into the key). */
const source: StepModule<{ path: string; trim: boolean }, Record<string, never>, { text: string }> = {
  type: 'source',
  version: 1,
  description: 'reads a text file',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: { path: { type: 'string', description: 'the file to read' }, trim: { type: 'boolean', default: false } },
  },
  inputs: {},
  outputs: { text: { kind: 'text' } },
  fileOptions: ['path'],
  kinds: [TEXT, COUNTS, NUMBERS, LOOSE],
  async run(ctx) {
    const t = readFileSync(ctx.options.path, 'utf8');
    return { text: ctx.options.trim ? t.trim() : t };
  },
};

/** Upper-cases its input, with a suffix and a repeat count. */
const upper: StepModule<{ suffix: string; repeat: number }, { text: string }, { text: string }> = {
  type: 'upper',
  version: 1,
  description: 'upper-cases text',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      suffix: { type: 'string', default: '' },
      repeat: { type: 'integer', minimum: 1, default: 1 },
      mode: { enum: ['upper', 'lower'], default: 'upper' },
      alpha: { type: 'number', minimum: 0, maximum: 1, description: 'appended as @alpha when set' },
    },
  },
  inputs: { text: { kind: 'text' } },
  outputs: { text: { kind: 'text' } },
  async run(ctx) {
    const t = (ctx.options as { mode?: string }).mode === 'lower' ? ctx.inputs.text.toLowerCase() : ctx.inputs.text.toUpperCase();
    const alpha = (ctx.options as { alpha?: number }).alpha;
    return { text: (t + ctx.options.suffix + (alpha === undefined ? '' : `@${alpha}`)).repeat(ctx.options.repeat) };
  },
};

/** Joins two texts (the second optional). */
const concat: StepModule<{ sep: string }, { a: string; b?: string }, { text: string }> = {
  type: 'concat',
  version: 1,
  description: 'joins two texts',
  optionsSchema: { type: 'object', additionalProperties: false, properties: { sep: { type: 'string', default: '+' } } },
  inputs: { a: { kind: 'text' }, b: { kind: 'text', optional: true } },
  outputs: { text: { kind: 'text' } },
  async run(ctx) {
    return { text: ctx.inputs.b === undefined ? ctx.inputs.a : ctx.inputs.a + ctx.options.sep + ctx.inputs.b };
  },
};

/** Counts characters and words: a metrics output. */
const count: StepModule<Record<string, never>, { text: string }, { stats: Record<string, number> }> = {
  type: 'count',
  version: 1,
  description: 'counts characters and words',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  inputs: { text: { kind: 'text' } },
  outputs: { stats: { kind: 'counts', metrics: true } },
  async run(ctx) {
    return { stats: { chars: ctx.inputs.text.length, words: ctx.inputs.text.split(/\s+/).filter(Boolean).length } };
  },
};

/** Writes its input to a user-facing file (an output with a pathOption). */
const write: StepModule<{ out?: string; header: string }, { text: string }, Record<string, never>> = {
  type: 'write',
  version: 1,
  description: 'writes text to a file',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { out: { type: 'string', description: 'where to put the file' }, header: { type: 'string', default: '' } },
  },
  inputs: { text: { kind: 'text' } },
  outputs: { file: { kind: 'file', pathOption: 'out' } },
  async run(ctx) {
    writeFileSync(ctx.outputFile('file'), ctx.options.header + ctx.inputs.text);
    return {};
  },
};

/** Two outputs of one kind (to test ambiguous `stepId` references). */
const split: StepModule<{ at: number }, { text: string }, { head: string; tail: string; lengths: number[] }> = {
  type: 'split',
  version: 1,
  description: 'splits text in two',
  optionsSchema: { type: 'object', additionalProperties: false, properties: { at: { type: 'integer', default: 1 } } },
  inputs: { text: { kind: 'text' } },
  outputs: { head: { kind: 'text' }, tail: { kind: 'text' }, lengths: { kind: 'numbers' } },
  async run(ctx) {
    const { text } = ctx.inputs;
    return { head: text.slice(0, ctx.options.at), tail: text.slice(ctx.options.at), lengths: [ctx.options.at, text.length - ctx.options.at] };
  },
};

/**
 * Waits (checking its abort signal), optionally after creating a marker file so a test
 * knows it is running. Used for interruption, concurrency and lock tests.
 */
const sleep: StepModule<{ ms: number; marker?: string; tag: string }, { text?: string }, { text: string }> = {
  type: 'sleep',
  version: 1,
  description: 'waits, then passes its input on',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['ms'],
    properties: { ms: { type: 'integer', minimum: 0 }, marker: { type: 'string' }, tag: { type: 'string', default: '' } },
  },
  inputs: { text: { kind: 'text', optional: true } },
  outputs: { text: { kind: 'text' } },
  async run(ctx) {
    if (ctx.options.marker) writeFileSync(ctx.options.marker, String(process.pid));
    ctx.progress.start('sleeping', ctx.options.ms, 'ms');
    const t0 = Date.now();
    while (Date.now() - t0 < ctx.options.ms) {
      if (ctx.signal.aborted) throw new Error('aborted');
      await new Promise((r) => setTimeout(r, Math.min(20, ctx.options.ms)));
      ctx.progress.update(Date.now() - t0);
    }
    ctx.progress.done();
    return { text: (ctx.inputs.text ?? '') + ctx.options.tag };
  },
};

/** Fails: with a user error (DiagnosticError) or a bug (plain Error). */
const fail: StepModule<{ kind: 'user' | 'bug'; message: string }, { text?: string }, { text: string }> = {
  type: 'fail',
  version: 1,
  description: 'always fails',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { kind: { enum: ['user', 'bug'], default: 'user' }, message: { type: 'string', default: 'bad input' } },
  },
  inputs: { text: { kind: 'text', optional: true } },
  outputs: { text: { kind: 'text' } },
  async run(ctx) {
    if (ctx.options.kind === 'user') {
      throw new DiagnosticError([{ severity: 'error', message: ctx.options.message, location: { file: 'data/input.txt', line: 3, col: 7 } }]);
    }
    throw new TypeError(ctx.options.message);
  },
};

/** CPU-heavy: the runner may run it in a worker thread. Logs which thread it ran on. */
const heavy: StepModule<{ rounds: number }, { text: string }, { text: string }> = {
  type: 'heavy',
  version: 1,
  description: 'a cpu-heavy transform',
  optionsSchema: { type: 'object', additionalProperties: false, properties: { rounds: { type: 'integer', minimum: 1, default: 1000 } } },
  inputs: { text: { kind: 'text' } },
  outputs: { text: { kind: 'text' } },
  cpuHeavy: true,
  async run(ctx) {
    ctx.log(isMainThread ? 'main thread' : `worker thread ${threadId}`);
    ctx.progress.start('rounds', ctx.options.rounds);
    let h = 0;
    for (let i = 0; i < ctx.options.rounds; i++) {
      for (const ch of ctx.inputs.text) h = (h * 31 + ch.charCodeAt(0) + i) >>> 0;
      ctx.progress.update(i + 1);
    }
    ctx.progress.done();
    return { text: `${ctx.inputs.text}#${h.toString(16)}` };
  },
};

/** Like `heavy`, with a warmUp hook: logs whether its thread was warmed up before it ran. */
let warmedUp = false;
const warmHeavy: StepModule<Record<string, never>, { text: string }, { text: string }> = {
  type: 'warm-heavy',
  version: 1,
  description: 'a cpu-heavy step with a slow start',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  inputs: { text: { kind: 'text' } },
  outputs: { text: { kind: 'text' } },
  cpuHeavy: true,
  async warmUp() {
    warmedUp = true;
  },
  async run(ctx) {
    ctx.log(`${isMainThread ? 'main thread' : 'worker thread'}, ${warmedUp ? 'warmed up' : 'cold'}`);
    return { text: ctx.inputs.text.split('').reverse().join('') };
  },
};

/** Reads a list of files (a file option holding a list). */
const cat: StepModule<{ paths: string[] }, Record<string, never>, { text: string }> = {
  type: 'cat',
  version: 1,
  description: 'concatenates files',
  optionsSchema: { type: 'object', additionalProperties: false, required: ['paths'], properties: { paths: { type: 'array', items: { type: 'string' } } } },
  inputs: {},
  outputs: { text: { kind: 'text' } },
  fileOptions: ['paths'],
  async run(ctx) {
    return { text: ctx.options.paths.map((p) => (existsSync(p) ? readFileSync(p, 'utf8') : '')).join('') };
  },
};

/** A view of the whole run, written after it by the `afterRun` hook (like the LVIS report). */
const digest: StepModule<{ out: string; fail_after: boolean }, { text: string }, { text: string }> = {
  type: 'digest',
  version: 1,
  description: 'after each run, writes `step status` lines of the run to `out`',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['out'],
    properties: { out: { type: 'string' }, fail_after: { type: 'boolean', default: false } },
  },
  inputs: { text: { kind: 'text' } },
  outputs: { text: { kind: 'text' } },
  async run(ctx) {
    return { text: ctx.inputs.text.toUpperCase() };
  },
  // A rule no JSON Schema of the options can state: it depends on how the step is wired.
  check(options, wired) {
    return wired.has('text') && options.out.endsWith('.txt') ? [] : [{ at: 'options', key: 'out', message: '`out` must name a .txt file' }];
  },
  async afterRun(ctx) {
    if (ctx.options.fail_after) throw new Error('digest hook failed on purpose');
    const history = ctx.history;
    const lines = Object.entries(history.steps).map(([id, h]) => `${id} ${h.status}`);
    const out = path.resolve(ctx.pipeline.dir, ctx.options.out);
    writeFileSync(out, `${history.runId}\n${lines.join('\n')}\n${ctx.outputs.text}\n`);
    return [out];
  },
  afterRunFiles: ['out'],
};

/** Produces a `loose` record with a field its encoding drops. */
const record: StepModule<Record<string, never>, { text: string }, { rec: Record<string, unknown> }> = {
  type: 'record',
  version: 1,
  description: 'wraps text in a record, with an in-memory-only field',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  inputs: { text: { kind: 'text' } },
  outputs: { rec: { kind: 'loose' } },
  async run(ctx) {
    return { rec: { text: ctx.inputs.text, words: ctx.inputs.text.split(' '), _scratch: 'in memory only' } };
  },
};

/**
 * Describes the record it gets (its keys, and whether it and its array are frozen); with
 * `mutate`, first tries to change it in place. `inspect-heavy` is the same in a worker.
 */
function inspectStep(type: string, cpuHeavy: boolean): StepModule<{ mutate: boolean }, { rec: Record<string, unknown> }, { text: string }> {
  return {
    type,
    version: 1,
    description: 'describes its input record',
    optionsSchema: { type: 'object', additionalProperties: false, properties: { mutate: { type: 'boolean', default: false } } },
    inputs: { rec: { kind: 'loose' } },
    outputs: { text: { kind: 'text' } },
    cpuHeavy,
    async run(ctx) {
      const rec = ctx.inputs.rec;
      if (ctx.options.mutate) (rec.words as string[]).push('extra');
      return { text: `keys=${Object.keys(rec).sort().join(',')} frozen=${Object.isFrozen(rec)}/${Object.isFrozen(rec.words)}` };
    },
  };
}

/**
 * Not deterministic on purpose: reads an environment variable the key does not cover (as a
 * step with a time budget, or a bug, would behave). `tag` only changes the key.
 */
const envSource: StepModule<{ name: string; tag: number }, Record<string, never>, { text: string }> = {
  type: 'env-source',
  version: 1,
  description: 'reads an environment variable (untracked)',
  optionsSchema: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string' }, tag: { type: 'integer', default: 0 } } },
  inputs: {},
  outputs: { text: { kind: 'text' } },
  async run(ctx) {
    return { text: process.env[ctx.options.name] ?? '' };
  },
};

/** A step with a file output that it fails to produce: it writes nothing, or asks for a wrong name. */
function lazyStep(type: string, cpuHeavy: boolean): StepModule<{ mode: 'skip' | 'wrong-name' }, Record<string, never>, Record<string, never>> {
  return {
    type,
    version: 1,
    description: 'forgets its output file',
    optionsSchema: { type: 'object', additionalProperties: false, properties: { mode: { enum: ['skip', 'wrong-name'], default: 'skip' } } },
    inputs: {},
    outputs: { file: { kind: 'file' } },
    cpuHeavy,
    async run(ctx) {
      if (ctx.options.mode === 'wrong-name') writeFileSync(ctx.outputFile('nope'), 'x');
      return {};
    },
  };
}

/**
 * Reads a text file and hashes it itself while reading (`hashesFiles`), as `load` does: logs
 * whether the runner asked it to (`hashed while reading`) or gave it the digest. `append_after`
 * changes the file once it has been read (a file modified during the read); `report: no`
 * forgets to report the digest, `report: garbage` reports something else (bugs in a step type). `read-hash-heavy` runs in a worker.
 */
function readHashStep(type: string, cpuHeavy: boolean): StepModule<{ path: string; append_after: string; report: 'yes' | 'no' | 'garbage'; tag: string }, Record<string, never>, { text: string }> {
  return {
    type,
    version: 1,
    description: 'reads a text file, hashing it as it reads it',
    optionsSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      properties: {
        path: { type: 'string' },
        append_after: { type: 'string', default: '' },
        report: { enum: ['yes', 'no', 'garbage'], default: 'yes' },
        tag: { type: 'string', default: '' },
      },
    },
    inputs: {},
    outputs: { text: { kind: 'text' } },
    fileOptions: ['path'],
    hashesFiles: ['path'],
    cpuHeavy,
    async run(ctx) {
      const file = ctx.options.path;
      const bytes = readFileSync(file);
      const asked = ctx.hashWhileReading?.includes(file) ?? false;
      if (asked) {
        ctx.log('hashed while reading');
        if (ctx.options.report === 'yes') ctx.reportDigest?.(file, createHash('sha256').update(bytes).digest('hex'));
        if (ctx.options.report === 'garbage') ctx.reportDigest?.(file, 'not a digest');
      } else ctx.log(`digest given: ${ctx.fileDigests[file] ? 'yes' : 'no'}`);
      if (ctx.options.append_after) appendFileSync(file, ctx.options.append_after);
      return { text: bytes.toString('utf8') };
    },
  };
}

export const TEST_STEPS: StepModule[] = [
  source, upper, concat, count, write, split, sleep, fail, heavy, cat, digest, record, inspectStep('inspect', false), inspectStep('inspect-heavy', true),
  lazyStep('lazy', false), lazyStep('lazy-heavy', true), envSource, warmHeavy, readHashStep('read-hash', false), readHashStep('read-hash-heavy', true),
  mirror,
];

export const TEST_REGISTRY_SOURCE = { moduleUrl: new URL('./runner-steps.js', import.meta.url).href, exportName: 'TEST_STEPS' };

/** The test registry; `versions` bumps step versions (to test "step version changed"). */
export function testRegistry(versions: Record<string, number> = {}): StepRegistry {
  if (Object.keys(versions).length === 0) return new StepRegistry(TEST_STEPS, TEST_REGISTRY_SOURCE);
  return new StepRegistry(TEST_STEPS.map((m) => (versions[m.type] !== undefined ? { ...m, version: versions[m.type]! } : m)));
}
