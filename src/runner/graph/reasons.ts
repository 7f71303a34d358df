/**
 * Why a step will run (or why a hit differs from the last run): a comparison of its key
 * material with the one recorded for the same step id in the pipeline's state.
 */
import path from 'node:path';
import { displayPath } from '../../base/display-path.js';
import { canonicalJson } from '../cache/hash.js';
import { type KeyMaterial } from '../cache/records.js';
import { isPlainObject, shortJson } from '../pipeline/params.js';

/**
 * Where file and folder options' paths are relative to (the pipeline's folder), and which options
 * they are: such paths are shown as the user would type them (`displayPath`), whole, never cut
 * short, as every other path in a reason is.
 */
export interface PathContext {
  dir: string;
  options: ReadonlySet<string>;
}

export function explainChange(prev: KeyMaterial, cur: KeyMaterial, paths?: PathContext): string[] {
  const out: string[] = [];
  const shown = (rel: string) => (paths ? displayPath(path.resolve(paths.dir, rel)) : rel);
  if (prev.scheme !== cur.scheme) out.push(`cache key scheme changed (${prev.scheme} → ${cur.scheme})`);
  if (prev.type !== cur.type) out.push(`step type changed (${prev.type} → ${cur.type})`);
  else if (prev.version !== cur.version) out.push(`step version changed (${prev.version} → ${cur.version})`);
  diffValues(prev.options, cur.options, [], out, paths);
  for (const name of union(Object.keys(prev.inputs), Object.keys(cur.inputs))) {
    const a = prev.inputs[name];
    const b = cur.inputs[name];
    if (a === b) continue;
    if (a === undefined) out.push(`input \`${name}\` added`);
    else if (b === undefined) out.push(`input \`${name}\` removed`);
    else out.push(`input \`${name}\` changed`);
  }
  for (const file of union(Object.keys(prev.files), Object.keys(cur.files))) {
    const a = prev.files[file];
    const b = cur.files[file];
    if (a === b) continue;
    if (a === undefined) out.push(`file ${shown(file)} added`);
    else if (b === undefined) continue; // the option that named it says it changed
    else out.push(`file ${shown(file)} changed`);
  }
  return out;
}

function diffValues(a: unknown, b: unknown, at: string[], out: string[], paths?: PathContext): void {
  if (paths && at.length === 1 && paths.options.has(at[0]!) && canonicalJson(a ?? null) !== canonicalJson(b ?? null)) {
    const show = (v: unknown): string => (typeof v === 'string' && v !== '' ? displayPath(path.resolve(paths.dir, v)) : Array.isArray(v) ? v.map(show).join(', ') : shortJson(v, 40));
    out.push(`option ${at[0]} ${show(a)} → ${show(b)}`);
    return;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const k of union(Object.keys(a), Object.keys(b))) {
      const where = [...at, k];
      if (!(k in a)) out.push(`option ${where.join('.')} added (${shortJson(b[k], 40)})`);
      else if (!(k in b)) out.push(`option ${where.join('.')} removed (was ${shortJson(a[k], 40)})`);
      else if (at.length < 3) diffValues(a[k], b[k], where, out, paths);
      else if (canonicalJson(a[k]) !== canonicalJson(b[k])) out.push(`option ${where.join('.')} ${shortJson(a[k], 40)} → ${shortJson(b[k], 40)}`);
    }
    return;
  }
  if (canonicalJson(a ?? null) !== canonicalJson(b ?? null)) {
    const [x, y] = typeof a === 'string' && typeof b === 'string' ? elideCommonPrefix(a, b) : [a, b];
    out.push(`option ${at.join('.')} ${shortJson(x, 40)} → ${shortJson(y, 40)}`);
  }
}

/**
 * Two long strings that start alike (paths, mostly) shown from a little before where they
 * differ, so the shortened forms do not both read "../../data/real/instances_…".
 */
function elideCommonPrefix(a: string, b: string): [string, string] {
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  const from = p - 6;
  if (from < 8 || Math.max(a.length, b.length) <= 38) return [a, b];
  return [`…${a.slice(from)}`, `…${b.slice(from)}`];
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}
