/**
 * Compiling the pipeline schema with ajv costs ~0.6 s per process here (0.2 s to import
 * ajv, 0.4 s to generate the validator), most of a no-op run's overhead. So the compiled
 * validator is kept as ajv "standalone" code in the cache folder, named by a hash of the
 * schema and the ajv version and options, and loaded from there next time (a few ms).
 * Whenever the registry or a step's options schema changes, the hash changes and it is
 * compiled again.
 *
 * `npm run build` also compiles the built-in steps' schema into `dist/validators/`
 * (scripts/build-validator.ts), looked up before the cache folder: a cold cache folder then
 * skips ajv altogether (about 0.1 s of a cold run: importing ajv, compiling, and the garbage
 * it leaves). A registry with other steps has another hash and uses the cache folder as before.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ErrorObject } from 'ajv';
import { canonicalJson, sha256 } from '../cache/hash.js';
import { openSealedCode, quarantineSync, sealCode, type ProblemSink } from '../cache/integrity.js';
import type { JsonSchema } from '../step/step.js';

const require = createRequire(import.meta.url);

export interface Validator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

const AJV_OPTIONS = { allErrors: true, useDefaults: true, strict: false, allowUnionTypes: true } as const;

function ajvVersion(): string {
  try {
    return (require('ajv/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function loadStandalone(code: string): Validator {
  const mod: { exports: Record<string, unknown> } = { exports: {} };
  // The standalone module is CommonJS that requires ajv's small runtime helpers.
  new Function('require', 'module', 'exports', code)(require, mod, mod.exports);
  const v = (mod.exports.default ?? mod.exports) as Validator;
  if (typeof v !== 'function') throw new Error('not a validator');
  return v;
}

/** Where the compiled validator is looked for (all optional). */
export interface ValidatorDirs {
  /** Read-only folder of validators compiled at build time; looked up first. */
  prebuilt?: string;
  /** The cache folder's validators: looked up next, and where a fresh compile is kept. */
  cache?: string;
}

/** The file name a compiled `schema` is kept under (in the cache folder or the prebuilt one). */
export function validatorFileName(schema: JsonSchema): string {
  return `${sha256(canonicalJson({ schema, ajv: ajvVersion(), options: AJV_OPTIONS })).slice(0, 32)}.cjs`;
}

function readPrebuilt(dir: string, name: string): Validator | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(dir, name), 'utf8');
  } catch {
    return undefined; // not built for this schema: the cache folder or a compile
  }
  const opened = openSealedCode(text);
  // A damaged prebuilt file (an installation problem, not the user's data) falls back to a compile.
  return 'value' in opened ? loadStandalone(opened.value) : undefined;
}

/**
 * A validator for `schema`: the prebuilt one when there is one, else from the cache folder when
 * it was compiled before. The cached code is sealed (it is executed): one that fails its check
 * is moved aside, `onProblem` is told, and the schema is compiled again.
 */
export function compileSchema(schema: JsonSchema, dirs: ValidatorDirs = {}, onProblem?: ProblemSink): Validator {
  const name = validatorFileName(schema);
  const prebuilt = dirs.prebuilt ? readPrebuilt(dirs.prebuilt, name) : undefined;
  if (prebuilt) return prebuilt;
  const cacheDir = dirs.cache;
  const file = cacheDir ? path.join(cacheDir, name) : undefined;
  if (file) {
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // not there yet (or unreadable): compile below
    }
    if (text !== undefined) {
      const opened = openSealedCode(text);
      if ('value' in opened) return loadStandalone(opened.value);
      const dest = quarantineSync(path.dirname(cacheDir!), file);
      if (dest) onProblem?.({ what: 'compiled validator', file, why: opened.why, quarantined: dest });
    }
  }
  const { Ajv } = require('ajv') as typeof import('ajv');
  const standaloneCode = (require('ajv/dist/standalone') as { default: (ajv: unknown, v: unknown) => string }).default;
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  const validate = ajv.compile(schema);
  if (file) {
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, sealCode(standaloneCode(ajv, validate)));
      renameSync(tmp, file);
    } catch {
      // a read-only cache folder only costs the compile time
    }
  }
  return validate as Validator;
}
