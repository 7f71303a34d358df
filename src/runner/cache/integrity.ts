/**
 * The cache never serves what it cannot verify. Objects are named by their sha256, so an
 * object is checked against its own name; every JSON file the cache writes (run records,
 * history, pipeline state, cutoff notes, the stat cache) carries the sha256 of its content
 * (a "seal"); compiled validators carry one in a trailing comment. Whatever fails its check is
 * moved aside to quarantine/ (never deleted: it is evidence), reported once in plain words,
 * and treated as missing, so the step that made it runs again.
 *
 * As Bazel checks every blob it takes from a remote cache (`--remote_verify_downloads`), and
 * as wireit treats a crash as "stale", never as "fresh".
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { canonicalJson, sha256 } from './hash.js';

/** Something in the cache that failed its check, and what was done about it. */
export interface CacheProblem {
  /** What the file is, in words: "object", "run record", "history record", … */
  what: string;
  /** The file, as it was in the cache folder (absolute). */
  file: string;
  /** Why it failed: "its content does not match its sha256", "it is not valid JSON", … */
  why: string;
  /** Where it was moved (absolute), if it was. */
  quarantined?: string;
}

export type ProblemSink = (p: CacheProblem) => void;

const SEAL = 'sealed_sha256';

/**
 * JSON text of `value` with its seal: the sha256 of its canonical JSON. The seal is computed on
 * the value as JSON gives it back (a Buffer, a Date or Infinity would otherwise be sealed in one
 * form and written in another), so no record can fail its own check.
 */
export function sealJson(value: object): string {
  const body = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  delete body[SEAL];
  return JSON.stringify({ ...body, [SEAL]: sha256(canonicalJson(body)) }, null, 1);
}

/** The value of sealed JSON text, or why it cannot be trusted. */
export function openSealedJson<T>(text: string): { value: T } | { why: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { why: text.length === 0 ? 'it is empty' : 'it is not valid JSON (cut short or edited)' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { why: 'it is not a JSON object' };
  const { [SEAL]: seal, ...body } = parsed as Record<string, unknown>;
  if (typeof seal !== 'string') return { why: 'it has no seal (written by hand, or by an older lvis-pipe)' };
  if (sha256(canonicalJson(body)) !== seal) return { why: 'its content does not match its seal (edited or damaged)' };
  return { value: body as T };
}

/** A line that seals generated code: the sha256 of everything before it. */
export function sealCode(code: string): string {
  return `${code}\n//${SEAL}=${sha256(code)}\n`;
}

/** The code of sealed code text, or why it cannot be trusted (it is executed: never unverified). */
export function openSealedCode(text: string): { value: string } | { why: string } {
  const m = new RegExp(`\\n//${SEAL}=([0-9a-f]{64})\\n$`).exec(text);
  if (!m) return { why: 'it has no seal (cut short, or written by an older lvis-pipe)' };
  const code = text.slice(0, m.index);
  return sha256(code) === m[1] ? { value: code } : { why: 'its content does not match its seal (edited or damaged)' };
}

/**
 * Moves `file` into `<cacheRoot>/quarantine/`, keeping its path below the cache folder in the
 * name. Returns where it went, or undefined when it was already gone.
 */
export async function quarantine(cacheRoot: string, file: string): Promise<string | undefined> {
  const dest = quarantinePath(cacheRoot, file);
  try {
    await mkdir(path.dirname(dest), { recursive: true });
    await rename(file, dest);
    return dest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** quarantine(), for the files read while a pipeline loads (the stat cache, validators). */
export function quarantineSync(cacheRoot: string, file: string): string | undefined {
  const dest = quarantinePath(cacheRoot, file);
  try {
    mkdirSync(path.dirname(dest), { recursive: true });
    renameSync(file, dest);
    return dest;
  } catch {
    return undefined; // gone already (another process moved it)
  }
}

function quarantinePath(cacheRoot: string, file: string): string {
  const rel = path.relative(cacheRoot, file).split(path.sep).join('__');
  return path.join(cacheRoot, 'quarantine', `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}-${rel}`);
}

/** One line for the user: what failed its check, where it went, and that it is being redone. */
export function describeProblem(p: CacheProblem, cacheRoot: string): string {
  const rel = (f: string) => path.relative(cacheRoot, f).split(path.sep).join('/');
  return `cache: the ${p.what} ${rel(p.file)} failed its check (${p.why})${p.quarantined ? `; moved to ${rel(p.quarantined)}` : ''}`;
}
