/**
 * Parameter sweeps: from a pipeline's `sweep:` section and `--grid` arguments to a list of
 * variants, each a set of param overrides with a name.
 *
 *   sweep:
 *     grid: { alpha: [0.4, 0.6, 0.8], total_images: [500, 1000] }   # every combination
 *     variants: [{ alpha: 0.5, lambda_tier: 2 }]                       # and these
 *
 * Variants are the grid's cartesian product (the first param varies slowest), then the
 * explicit variants; a variant equal to an earlier one is dropped. `--grid name=v1,v2`
 * replaces that param's values in the file's grid, or adds the param to it.
 *
 * A variant's name lists the params that vary across the sweep with its values,
 * `alpha=0.4,total_images=500`, made safe as a folder name (see `variantFolderNames`): its
 * output files go to a folder of that name. Generic: nothing here knows about LVIS.
 */
import path from 'node:path';
import { isSeq, parseDocument } from 'yaml';
import type { Diagnostic } from '../../base/diagnostic.js';
import { canonicalJson, sha256 } from '../cache/hash.js';
import { isPlainObject, overrideValue, type ParamDecl, type ParamOverride } from '../pipeline/params.js';
import type { PipelineSource } from '../pipeline/types.js';
import { didYouMean, listNames } from '../../base/suggest.js';

export interface SweepChartSpec {
  /** A param (default: the first varying param). */
  x?: string;
  /** A metric (default: the sort metric). */
  y?: string;
  /** A param (default: the other varying params). */
  color?: string;
}

export interface SweepSpec {
  /** Grid params in order, each with its values as overrides. */
  grid: { name: string; values: ParamOverride[] }[];
  /** Explicit variants, each a list of overrides. */
  variants: ParamOverride[][];
  sortBy?: string;
  order: 'asc' | 'desc';
  metrics?: string[];
  /** Absolute folder, when the file or --out names one. */
  out?: string;
  chart: SweepChartSpec;
}

export interface SweepVariant {
  /** Param overrides of this variant (applied after --set). */
  overrides: ParamOverride[];
  /** Param → value as written (before paths are resolved), for the swept params. */
  values: Record<string, unknown>;
}

/**
 * Reads the `sweep:` section (already shape-checked by the schema when the pipeline was
 * resolved) and merges the `--grid` arguments into it.
 */
export function readSweepSpec(source: PipelineSource, gridArgs: readonly string[], cwd: string, diags: Diagnostic[]): SweepSpec {
  const raw = isPlainObject(source.raw.sweep) ? source.raw.sweep : {};
  const { src, dir, decls } = source;
  const grid: SweepSpec['grid'] = [];
  if (isPlainObject(raw.grid)) {
    for (const [name, values] of Object.entries(raw.grid)) {
      if (!Array.isArray(values)) continue;
      grid.push({
        name,
        values: values.map((value, i) => ({
          name,
          value,
          origin: { kind: 'sweep', label: `sweep.grid.${name}[${i}] (${src.displayFile})` },
          baseDir: dir,
          diagnosticAt: (m: string) => src.diagnosticAt(['sweep', 'grid', name, i], m),
        })),
      });
    }
  }
  for (const arg of gridArgs) {
    const parsed = parseGridArg(arg, cwd, decls, diags);
    if (!parsed) continue;
    const at = grid.findIndex((g) => g.name === parsed.name);
    if (at >= 0) grid[at] = parsed;
    else grid.push(parsed);
  }
  const variants: ParamOverride[][] = [];
  if (Array.isArray(raw.variants)) {
    raw.variants.forEach((v, i) => {
      if (!isPlainObject(v)) return;
      variants.push(
        Object.entries(v).map(([name, value]) => ({
          name,
          value,
          origin: { kind: 'sweep', label: `sweep.variants[${i}].${name} (${src.displayFile})` },
          baseDir: dir,
          diagnosticAt: (m: string) => src.diagnosticAt(['sweep', 'variants', i, name], m),
        })),
      );
    });
  }
  const chart = isPlainObject(raw.chart) ? raw.chart : {};
  return {
    grid,
    variants,
    ...(typeof raw.sort_by === 'string' ? { sortBy: raw.sort_by } : {}),
    order: raw.order === 'desc' ? 'desc' : 'asc',
    ...(Array.isArray(raw.metrics) ? { metrics: raw.metrics.filter((m): m is string => typeof m === 'string') } : {}),
    ...(typeof raw.out === 'string' ? { out: path.resolve(dir, raw.out) } : {}),
    chart: {
      ...(typeof chart.x === 'string' ? { x: chart.x } : {}),
      ...(typeof chart.y === 'string' ? { y: chart.y } : {}),
      ...(typeof chart.color === 'string' ? { color: chart.color } : {}),
    },
  };
}

/**
 * `--grid name=v1,v2,...`: each value is YAML (so `0.4` is a number, `[1,2]` a list and
 * `"a,b"` one string with a comma); for a string param the text is taken as typed, as with
 * --set. The values are read as the items of a YAML flow sequence.
 */
export function parseGridArg(arg: string, cwd: string, decls: ReadonlyMap<string, ParamDecl>, diags: Diagnostic[]): SweepSpec['grid'][number] | undefined {
  const fail = (message: string) => {
    diags.push({ severity: 'error', message: `--grid ${arg}: ${message}` });
    return undefined;
  };
  const eq = arg.indexOf('=');
  if (eq <= 0) return fail('expected name=value1,value2,...');
  const name = arg.slice(0, eq).trim();
  const text = arg.slice(eq + 1);
  if (!decls.has(name)) {
    const known = [...decls.keys()];
    return fail(`unknown param \`${name}\`${didYouMean(name, known)}; ${known.length ? `the pipeline's params are ${listNames(known)}` : 'the pipeline declares no params'}`);
  }
  if (text.trim() === '') return fail('no values; expected name=value1,value2,...');
  const doc = parseDocument(`[${text}]`);
  if (doc.errors.length || !isSeq(doc.contents)) return fail(`the values are not valid YAML: ${doc.errors[0]?.message.split('\n')[0] ?? 'expected a comma-separated list'}`);
  const values: ParamOverride[] = [];
  for (const item of doc.contents.items) {
    const node = item as { range?: [number, number, number]; toJSON(): unknown };
    const itemText = node.range ? `[${text}]`.slice(node.range[0], node.range[1]).trim() : undefined;
    const value = (item as { toJSON(): unknown }).toJSON();
    values.push({ name, value, ...(itemText !== undefined ? { text: itemText } : {}), origin: { kind: 'sweep', label: `--grid ${arg}` }, baseDir: cwd });
  }
  if (values.length === 0) return fail('no values; expected name=value1,value2,...');
  return { name, values };
}

/** The grid's cartesian product (the first param varies slowest), then the explicit variants; duplicates dropped. */
export function expandVariants(spec: SweepSpec, decls: ReadonlyMap<string, ParamDecl>): { variants: SweepVariant[]; duplicates: number } {
  const combos: ParamOverride[][] = [[]];
  for (const g of spec.grid) {
    const next: ParamOverride[][] = [];
    for (const c of combos) for (const v of g.values) next.push([...c, v]);
    combos.splice(0, combos.length, ...next);
  }
  const all = spec.grid.length ? combos : [];
  all.push(...spec.variants);
  const seen = new Set<string>();
  const variants: SweepVariant[] = [];
  let duplicates = 0;
  for (const overrides of all) {
    const values: Record<string, unknown> = {};
    for (const o of overrides) {
      const decl = decls.get(o.name);
      values[o.name] = decl ? overrideValue(decl, o) : o.value;
    }
    const id = canonicalJson(values);
    if (seen.has(id)) {
      duplicates++;
      continue;
    }
    seen.add(id);
    variants.push({ overrides, values });
  }
  return { variants, duplicates };
}

/** A param value as text in a variant's name: numbers and strings as they are, lists and mappings as compact JSON. */
export function formatParamValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return JSON.stringify(v);
}

const NAME_MAX = 100;

/**
 * A value as it appears in a folder name: letters, digits and `. _ - +` as they are, every
 * other character percent-encoded (UTF-8), as in URLs: `0.4` → `0.4`, `all` → `all`, `a/b`
 * → `a%2Fb`, `[1,2]` → `%5B1%2C2%5D`. Reversible, so two values never give one name, and
 * no value can make a subfolder, a hidden file or a character some file system rejects.
 */
export function encodeNamePart(text: string): string {
  let out = '';
  for (const ch of text) {
    if (/^[A-Za-z0-9._+-]$/.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Folder names for variants: `name=value` pairs joined by `,` (`alpha=0.4,total_images=500`),
 * values encoded by `encodeNamePart`. A name longer than 100 characters is cut and given a
 * hash of the variant's values; names that differ only in case (one folder on macOS and
 * Windows file systems) get the hash too.
 */
export function variantFolderNames(labels: readonly { pairs: [string, unknown][]; values: Record<string, unknown> }[]): string[] {
  const hashOf = (values: Record<string, unknown>) => sha256(canonicalJson(values)).slice(0, 8);
  const names = labels.map(({ pairs, values }) => {
    const name = pairs.length ? pairs.map(([k, v]) => `${k}=${encodeNamePart(formatParamValue(v))}`).join(',') : 'default';
    return name.length > NAME_MAX ? `${name.slice(0, NAME_MAX - 9).replace(/%[0-9A-F]?$/, '')}-${hashOf(values)}` : name;
  });
  const count = new Map<string, number>();
  for (const n of names) count.set(n.toLowerCase(), (count.get(n.toLowerCase()) ?? 0) + 1);
  return names.map((n, i) => (count.get(n.toLowerCase())! > 1 ? `${n}-${hashOf(labels[i]!.values)}` : n));
}

/**
 * The params whose values differ across the variants (compared as resolved: two spellings
 * of one path are one value), in the order the sweep names them.
 */
export function varyingParams(order: readonly string[], resolved: readonly Record<string, unknown>[]): string[] {
  return order.filter((name) => new Set(resolved.map((p) => canonicalJson(p[name] ?? null))).size > 1);
}

/** Swept param names in order: the grid's, then those of the explicit variants. */
export function sweptParams(spec: SweepSpec): string[] {
  const out: string[] = spec.grid.map((g) => g.name);
  for (const v of spec.variants) for (const o of v) if (!out.includes(o.name)) out.push(o.name);
  return out;
}

/** The state id of a variant: the pipeline's id and a hash of the variant's values. */
export function variantStateId(pipelineId: string, values: Record<string, unknown>): string {
  return `${pipelineId}-${sha256(canonicalJson(values)).slice(0, 12)}`;
}
