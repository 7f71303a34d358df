/**
 * The cache folder as the user's choice, and what can be wrong with it: a file where the folder
 * should be, a folder the user may not write to, a full disk. Each is said in plain words,
 * naming the folder and what to do, instead of an ENOTDIR, EACCES or ENOSPC stack.
 */
import { statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DiagnosticError } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';
import { formatBytes } from '../../base/format.js';
import { pathProblem } from '../../base/fs-problems.js';

/** Exit status for a cache folder the user must fix (as for other usage mistakes). */
const CACHE_FOLDER_EXIT = 2;

const HOW_TO_MOVE = 'pass --cache-dir DIR (or set cacheDir in the config file) to use another folder';

/**
 * Throws when `dir` exists but is not a folder, or a file stands where one of its parents should
 * be. A folder that does not exist yet is fine: writers create it.
 */
export function checkCacheFolderShape(dir: string): void {
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    const why = pathProblem(err);
    if (!why) throw err;
    throw cacheFolderError(`the cache folder ${displayPath(dir)} cannot be used: ${why}; ${HOW_TO_MOVE}`);
  }
  if (!st.isDirectory()) {
    throw cacheFolderError(`the cache folder ${displayPath(dir)} is a file, not a folder; ${HOW_TO_MOVE}, or move the file away`);
  }
}

/** Whether `file` is `root` or inside it. */
function within(root: string, file: string | undefined): boolean {
  if (file === undefined) return false;
  const rel = path.relative(root, path.resolve(file));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * A filesystem error met while writing inside the cache folder `root`, as the user's problem to
 * fix: which folder, why, what was being done, and for a full disk how much was needed and is
 * free. `doing` says what was being written ("storing the output `file` of step `write`").
 * `needed` is the size of what was being written, when known. Other errors: undefined.
 */
export function cacheWriteError(err: unknown, root: string, doing: string, needed?: number): DiagnosticError | undefined {
  const why = pathProblem(err);
  const e = err as NodeJS.ErrnoException & { dest?: string };
  if (!why || !(within(root, e.path) || within(root, e.dest))) return undefined;
  const full = e.code === 'ENOSPC' || e.code === 'EDQUOT';
  const free = full ? freeBytes(root) : undefined;
  const sizes = [needed !== undefined ? `at least ${formatBytes(needed)} needed` : undefined, free !== undefined ? `${formatBytes(free)} free` : undefined].filter(Boolean);
  const hint = full ? `free some space on that disk (\`lvis-pipe cache gc\` removes what no pipeline uses), or ${HOW_TO_MOVE} on another disk` : HOW_TO_MOVE;
  return cacheFolderError(`the cache folder ${displayPath(root)}: ${why} while ${doing}${sizes.length ? ` (${sizes.join(', ')})` : ''}; ${hint}`);
}

/** Bytes available to this user on the filesystem of `dir`, when it can be told. */
function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

function cacheFolderError(message: string): DiagnosticError {
  return new DiagnosticError([{ severity: 'error', message }], CACHE_FOLDER_EXIT);
}
