/**
 * The cache folder as the user's choice, and what can be wrong with it: a file where the folder
 * should be, a folder the user may not write to, a full disk. Each is said in plain words,
 * naming the folder and what to do, instead of an ENOTDIR, EACCES or ENOSPC stack.
 */
import { readdirSync, readFileSync, statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DiagnosticError } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';
import { formatBytes } from '../../base/format.js';
import { pathProblem } from '../../base/fs-problems.js';

/** Exit status for a cache folder the user must fix (as for other usage mistakes). */
const CACHE_FOLDER_EXIT = 2;

const HOW_TO_MOVE = 'pass --cache-dir DIR (or set cacheDir in the config file) to use another folder';

/**
 * A cache folder carries a CACHEDIR.TAG (https://bford.info/cachedir/): it marks the folder as
 * lvis-pipe's to write and to empty (`cache clear`), and backup tools skip it.
 */
export const CACHE_TAG = 'CACHEDIR.TAG';
const CACHE_TAG_SIGNATURE = 'Signature: 8a477f597d28d172789f06886806bc55';
export const CACHE_TAG_TEXT = `${CACHE_TAG_SIGNATURE}\n# This folder is an lvis-pipe cache: every step's results, kept by content.\n# \`lvis-pipe cache clear\` empties it; nothing outside it depends on it but the output files it links.\n`;

/** What caches made before the tag held (`data/` came with the tag, so an untagged one never has it). */
const UNTAGGED_CACHE_ENTRIES = new Set(['objects', 'runs', 'state', 'history', 'cutoff', 'tmp', 'validators', 'quarantine', 'statcache.json', 'lock']);
const STAT_CACHE_TEMP = /^statcache\.json\.\d+\.[0-9a-f]+\.tmp$/;

/**
 * Throws when `dir` cannot be a cache folder: it exists but is not a folder, a file stands where
 * one of its parents should be, or it is a folder of something else (it holds names no cache
 * has, and no CACHEDIR.TAG): lvis-pipe would write into it, and `cache clear` would empty it.
 * A folder that does not exist yet, or is empty, is fine: writers create and tag it.
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
  const names = readdirSync(dir);
  if (names.length === 0 || (names.includes(CACHE_TAG) && readTag(path.join(dir, CACHE_TAG)))) return;
  const foreign = names.filter((n) => !UNTAGGED_CACHE_ENTRIES.has(n) && !STAT_CACHE_TEMP.test(n)).sort();
  if (foreign.length === 0 && looksLikeUntaggedCache(dir, names)) return;
  if (foreign.length === 0) {
    throw cacheFolderError(
      `${displayPath(dir)} is not an lvis-pipe cache folder: it holds ${names.sort().map((n) => `\`${n}\``).join(', ')} but no ${CACHE_TAG} and no objects/ of stored ` +
        `results (a \`runs/\` of another tool, say). lvis-pipe would write into it, and \`cache clear\` would empty it: nothing was touched. Pass --cache-dir with a new or empty folder, or with the cache itself`,
    );
  }
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 4).map((n) => `\`${n}\``).join(', ') + (foreign.length > 4 ? `, … (${foreign.length} in all)` : '');
    throw cacheFolderError(
      `${displayPath(dir)} is not an lvis-pipe cache folder: it holds ${shown}, and no ${CACHE_TAG} (the mark lvis-pipe puts in its cache folders). ` +
        `lvis-pipe would write into it, and \`cache clear\` would empty it: nothing was touched. Pass --cache-dir with a new or empty folder, or with the cache itself`,
    );
  }
}

/**
 * A cache made before the tag: its names are all a cache's, and it has the store's `objects/`,
 * whose entries are two-hex-digit folders (or it holds only what `plan` writes first). Names alone are not enough: `runs/` is TensorBoard's
 * default folder, `state/` and `tmp/` are everyone's.
 */
function looksLikeUntaggedCache(dir: string, names: readonly string[]): boolean {
  // What a read-only command (plan, validate) leaves in a new cache folder before any run tags it.
  if (names.every((n) => n === 'validators' || n === 'statcache.json' || STAT_CACHE_TEMP.test(n))) return true;
  if (!names.includes('objects')) return false;
  try {
    return readdirSync(path.join(dir, 'objects')).every((n) => /^[0-9a-f]{2}$/.test(n));
  } catch {
    return false;
  }
}

/** Whether `file` is a cache directory tag (its first line is the standard signature). */
function readTag(file: string): boolean {
  try {
    return readFileSync(file, 'utf8').startsWith(CACHE_TAG_SIGNATURE);
  } catch {
    return false;
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
  const sizes = full ? [needed !== undefined ? `at least ${formatBytes(needed)} needed` : undefined, free !== undefined ? `${formatBytes(free)} free` : undefined].filter(Boolean) : [];
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
