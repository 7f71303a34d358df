/**
 * Cache keys. A step's key is sha256 of the canonical JSON of its key material:
 * - the step type and implementation version,
 * - its resolved options (file and folder options as paths relative to the pipeline's folder; output
 *   path options and sync folders left out, since where a file is copied to does not change
 *   its content),
 * - the keys of its inputs (`<upstream key>/<output name>`),
 * - the content digests of the external files it reads,
 * - the hashing-scheme version (bump KEY_SCHEME when this recipe changes).
 *
 * A second key, by content (`contentKeyOf`), replaces each input's upstream key by the digest
 * of the upstream output it reads. It can be known only once the upstream steps are done; the
 * executor uses it for early cutoff: when an upstream step reruns but writes the same bytes
 * (an option that did not change its result), the steps below it are cache hits.
 */
import { canonicalJson, sha256 } from './hash.js';
import type { ResolvedStep } from '../pipeline/types.js';
import { relPosix } from '../pipeline/pipeline.js';
import type { KeyMaterial } from './records.js';

export const KEY_SCHEME = 1;


export function keyMaterial(
  step: ResolvedStep,
  pipelineDir: string,
  stepKeys: ReadonlyMap<string, string>,
  digests: ReadonlyMap<string, string>,
): KeyMaterial {
  const mod = step.module;
  // Where a file is written does not change its content: output paths are not key material,
  // but their extensions are, since a step may choose the format by them (`.json.gz`).
  const pathOptions = new Set([...Object.values(mod.outputs).flatMap((o) => (o.pathOption ? [o.pathOption] : [])), ...(mod.afterRunFiles ?? []), ...(mod.syncFolders ?? [])]);
  const fileOptions = new Set([...(mod.fileOptions ?? []), ...(mod.folderOptions ?? [])]);
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(step.options)) {
    if (pathOptions.has(k)) {
      if (typeof v === 'string' && /\.gz$/i.test(v)) options[k] = '*.gz';
      continue;
    }
    if (fileOptions.has(k)) {
      // Relative to the pipeline's folder; '' (no file or folder) stays '': relative to it, ''
      // would name the folder the command was typed in, and the key would depend on it.
      const rel = (x: unknown) => (typeof x === 'string' && x !== '' ? relPosix(pipelineDir, x) : x);
      options[k] = Array.isArray(v) ? v.map(rel) : rel(v);
    } else options[k] = v;
  }
  const inputs: Record<string, string> = {};
  for (const [name, inp] of Object.entries(step.inputs)) {
    const k = stepKeys.get(inp.step);
    if (!k) throw new Error(`keyMaterial: no key for upstream step ${inp.step}`);
    inputs[name] = `${k}/${inp.output}`;
  }
  const files: Record<string, string> = {};
  for (const f of step.files) {
    const d = digests.get(f.path);
    if (!d) throw new Error(`keyMaterial: no digest for ${f.path}`);
    files[f.rel] = d;
  }
  return { scheme: KEY_SCHEME, type: step.type, version: mod.version, options, inputs, files };
}

export function keyOf(material: KeyMaterial): string {
  return sha256(canonicalJson(material));
}

/** The key of `material` with its inputs named by content: input name → output digest. */
export function contentKeyOf(material: KeyMaterial, inputDigests: Record<string, string>): string {
  return sha256(canonicalJson({ ...material, inputs: inputDigests, inputsBy: 'content' }));
}
