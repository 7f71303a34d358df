/**
 * Pipeline params: declarations (`params:` section), overrides (config, --params FILE,
 * --set name=value) and `${params.name}` interpolation into option values.
 *
 * A param is declared either as `name: default` (type inferred from the default: string,
 * number, boolean, array or object; `null` means any) or as `name: {type, default,
 * description}`. Values given on the command line are parsed as YAML, so `--set alpha=0.7`
 * is a number and `--set pool=all` a string; for a string param the text is taken as typed
 * (`--set suffix=?` is the string "?", not YAML's idea of it) unless it is quoted.
 *
 * Path params. A param of type `path`, or one used as (the start of) the value of a step's
 * file option or output path option, names a file. Its value is resolved when it is read:
 * a default against the pipeline file's folder, a `--params` file value against that
 * file's folder, a `--set` value against the current directory (where the user typed it).
 */
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Diagnostic } from '../../base/diagnostic.js';
import { PARAM_TYPES } from './schema.js';
import { closest, didYouMean, listNames } from '../../base/suggest.js';
import type { DocPath, YamlSource } from './yaml-source.js';
import { notJsonData, notJsonMessage } from './json-data.js';

export type ParamType = (typeof PARAM_TYPES)[number];

export interface ParamDecl {
  name: string;
  type: ParamType;
  default: unknown;
  description?: string;
  /** Where it is declared (for diagnostics). */
  docPath: DocPath;
}

export type ParamOrigin =
  | { kind: 'default' }
  | { kind: 'config'; file: string }
  | { kind: 'params-file'; file: string }
  | { kind: 'set'; arg: string }
  /** A sweep variant's value: `label` says where it came from (`sweep.grid.alpha[1]`, `--grid alpha=…`). */
  | { kind: 'sweep'; label: string };

export interface ParamValue {
  value: unknown;
  origin: ParamOrigin;
  /** Folder a relative path value is resolved against, if the param is a path. */
  baseDir: string;
}

export interface ParamOverride {
  name: string;
  value: unknown;
  origin: ParamOrigin;
  baseDir: string;
  /** The text as typed (--set), used as is for string params whatever YAML makes of it. */
  text?: string;
  /** Where the override was written, for diagnostics (undefined for --set). */
  diagnosticAt?: (message: string) => Diagnostic;
}

const DECL_KEYS = new Set(['type', 'default', 'description']);

/** Reads the `params:` section. */
export function parseParamDecls(src: YamlSource, raw: unknown, diags: Diagnostic[]): Map<string, ParamDecl> {
  const decls = new Map<string, ParamDecl>();
  if (raw === undefined || raw === null) return decls;
  if (typeof raw !== 'object' || Array.isArray(raw)) return decls; // the schema reports it
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    const docPath = ['params', name];
    // A declaration: a mapping with a `default` or a string `type`, whose keys are all `type`,
    // `default`, `description` or misspellings of them (those are errors). Any other mapping is
    // a mapping-valued param; one that looks like a declaration is declared `type: object`.
    const keys = isPlainObject(v) ? Object.keys(v) : [];
    const declared =
      isPlainObject(v) &&
      ('default' in v || ('type' in v && typeof v.type === 'string')) &&
      keys.every((k) => DECL_KEYS.has(k) || closest(k, DECL_KEYS) !== undefined);
    if (declared) {
      const unknown = keys.filter((k) => !DECL_KEYS.has(k));
      for (const k of unknown) {
        diags.push(
          src.diagnosticAt(
            [...docPath, k],
            `param \`${name}\`: unknown key \`${k}\` in its declaration${didYouMean(k, DECL_KEYS)}; a declaration has \`type\`, \`default\` and \`description\`` +
              ' (a mapping-valued param that looks like one is declared `{type: object, default: {...}}`)',
            'key',
          ),
        );
      }
      if (!('default' in v)) {
        diags.push(src.diagnosticAt(docPath, `param \`${name}\`: its declaration has no \`default\` (a mapping-valued param that looks like a declaration is declared \`{type: object, default: {...}}\`)`));
        continue;
      }
      const d = v as { type?: unknown; default: unknown; description?: unknown };
      const type = (d.type ?? typeOfValue(d.default)) as ParamType;
      if (!PARAM_TYPES.includes(type)) {
        diags.push(src.diagnosticAt([...docPath, 'type'], `param \`${name}\`: unknown type ${JSON.stringify(d.type)}${didYouMean(String(d.type), PARAM_TYPES)}; expected one of ${PARAM_TYPES.join(', ')}`));
        // Still declared (as any), so that its uses are not reported as unknown params too.
        decls.set(name, { name, type: 'any', default: d.default, docPath });
        continue;
      }
      const problem = checkParamValue(type, d.default);
      if (problem) diags.push(src.diagnosticAt([...docPath, 'default'], `param \`${name}\`: default ${problem}`));
      decls.set(name, { name, type, default: d.default, description: typeof d.description === 'string' ? d.description : undefined, docPath });
    } else {
      decls.set(name, { name, type: typeOfValue(v), default: v, docPath });
    }
  }
  return decls;
}

export function typeOfValue(v: unknown): ParamType {
  if (v === null || v === undefined) return 'any';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'object':
      return 'object';
    default:
      return 'any';
  }
}

/** Why `value` is not a valid `type`, or undefined when it is. */
export function checkParamValue(type: ParamType, value: unknown): string | undefined {
  const ok = (() => {
    switch (type) {
      case 'any':
        return true;
      case 'string':
      case 'path':
        return typeof value === 'string';
      case 'number':
        return typeof value === 'number' && Number.isFinite(value);
      case 'integer':
        return typeof value === 'number' && Number.isInteger(value);
      case 'boolean':
        return typeof value === 'boolean';
      case 'array':
        return Array.isArray(value);
      case 'object':
        return isPlainObject(value);
    }
  })();
  return ok ? undefined : `must be ${type === 'integer' || type === 'array' || type === 'object' ? 'an' : 'a'} ${type}, got ${describeValue(value)}`;
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list ${shortJson(v)}`;
  if (typeof v === 'object') return `a mapping ${shortJson(v)}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

export function shortJson(v: unknown, max = 60): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/** Parses `--set name=value` arguments (the value as YAML). */
export function parseSetArgs(args: readonly string[], cwd: string, diags: Diagnostic[]): ParamOverride[] {
  const out: ParamOverride[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      diags.push({ severity: 'error', message: `--set ${arg}: expected name=value` });
      continue;
    }
    const name = arg.slice(0, eq).trim();
    const text = arg.slice(eq + 1);
    let value: unknown;
    try {
      value = text === '' ? '' : parseYaml(text);
    } catch (err) {
      diags.push({ severity: 'error', message: `--set ${arg}: the value is not valid YAML: ${(err as Error).message.split('\n')[0]}` });
      continue;
    }
    out.push({ name, value, text, origin: { kind: 'set', arg }, baseDir: cwd });
  }
  return out;
}

/** Reads a params file (YAML or JSON): a mapping of name → value. */
export function paramsFileOverrides(src: YamlSource, diags: Diagnostic[]): ParamOverride[] {
  const raw = src.toJS();
  if (raw === null || raw === undefined) return [];
  if (!isPlainObject(raw)) {
    diags.push(src.diagnosticAt([], 'a params file must be a mapping of param names to values'));
    return [];
  }
  return Object.entries(raw).map(([name, value]) => ({
    name,
    value,
    origin: { kind: 'params-file', file: src.displayFile },
    baseDir: path.dirname(src.file),
    diagnosticAt: (message: string) => src.diagnosticAt([name], message, 'key'),
  }));
}

export function originLabel(o: ParamOrigin): string {
  switch (o.kind) {
    case 'default':
      return 'the default';
    case 'config':
      return `config ${o.file}`;
    case 'params-file':
      return `params file ${o.file}`;
    case 'set':
      return `--set ${o.arg}`;
    case 'sweep':
      return o.label;
  }
}

/**
 * Applies overrides in order (later wins). Unknown names are errors, except for config
 * params, which apply to every pipeline that declares them and are ignored by others.
 */
export function applyOverrides(
  decls: Map<string, ParamDecl>,
  pipelineDir: string,
  overrides: readonly ParamOverride[],
  diags: Diagnostic[],
): Map<string, ParamValue> {
  const values = new Map<string, ParamValue>();
  for (const d of decls.values()) values.set(d.name, { value: d.default, origin: { kind: 'default' }, baseDir: pipelineDir });
  for (const o of overrides) {
    const decl = decls.get(o.name);
    if (!decl) {
      if (o.origin.kind === 'config') continue;
      const known = [...decls.keys()];
      const msg =
        `unknown param \`${o.name}\` in ${originLabel(o.origin)}${didYouMean(o.name, known)}; ` +
        (known.length ? `the pipeline's params are ${listNames(known)}` : 'the pipeline declares no params');
      diags.push(o.diagnosticAt ? o.diagnosticAt(msg) : { severity: 'error', message: msg });
      continue;
    }
    const value = overrideValue(decl, o);
    // A YAML file's values were checked when it was read; --set's and a config's are checked here.
    const notJson = notJsonData(value, 1)[0];
    const problem = notJson
      ? `: ${notJson.path.length ? `at \`${o.name}${notJson.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('')}\`, ` : ''}${notJsonMessage(notJson)}`
      : checkParamValue(decl.type, value)?.replace(/^/, ' ');
    if (problem) {
      const msg = `param \`${o.name}\` from ${originLabel(o.origin)}${problem}`;
      diags.push(o.diagnosticAt ? o.diagnosticAt(msg) : { severity: 'error', message: msg });
      continue;
    }
    values.set(o.name, { value, origin: o.origin, baseDir: o.baseDir });
  }
  return values;
}

/**
 * The value an override gives its param. For a string param, `--set name=TEXT` means TEXT
 * as typed (`123`, `!`, `~`, `a: b` are strings here), unless it is a quoted YAML string
 * (`--set 'sep=" "'`).
 */
export function overrideValue(decl: ParamDecl, o: ParamOverride): unknown {
  const quoted = o.text !== undefined && /^\s*(".*"|'.*')\s*$/s.test(o.text);
  return (decl.type === 'string' || decl.type === 'path') && o.text !== undefined && !(quoted && typeof o.value === 'string') ? o.text : o.value;
}

/** Resolves a path param's value (a string or list of strings) against its origin's folder. */
export function resolvePathValue(v: unknown, baseDir: string): unknown {
  if (typeof v === 'string') return v === '' ? v : path.resolve(baseDir, v);
  if (Array.isArray(v)) return v.map((x) => resolvePathValue(x, baseDir));
  return v;
}

const EXACT_REF = /^\$\{\s*params\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}$/;
const ANY_REF = /\$\$\{|\$\{([^}]*)\}/g;
const PARAM_EXPR = /^\s*params\.([A-Za-z_][A-Za-z0-9_-]*)\s*$/;

/** The param named at the very start of a string value (`${params.x}...`), if any. */
export function leadingParamRef(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^\$\{\s*params\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}/.exec(v);
  return m?.[1];
}

export interface InterpolationContext {
  values: ReadonlyMap<string, ParamValue>;
  /** Called with the document path of every value that came (wholly or partly) from a param. */
  onUse?(docPath: DocPath, param: string): void;
  error(docPath: DocPath, message: string): void;
}

/**
 * Replaces `${params.x}` in every string of `value` (recursively). A string that is exactly
 * one reference takes the param's value with its type; a reference inside a longer string
 * is replaced by the value's text. `$${` writes a literal `${`.
 */
export function interpolate(value: unknown, docPath: DocPath, ctx: InterpolationContext): unknown {
  if (typeof value === 'string') return interpolateString(value, docPath, ctx);
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, [...docPath, i], ctx));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, [...docPath, k], ctx);
    return out;
  }
  return value;
}

function interpolateString(s: string, docPath: DocPath, ctx: InterpolationContext): unknown {
  if (!s.includes('${')) return s;
  const exact = EXACT_REF.exec(s);
  if (exact) {
    const name = exact[1]!;
    const pv = ctx.values.get(name);
    if (!pv) {
      ctx.error(docPath, unknownParamMessage(name, ctx.values));
      return s;
    }
    ctx.onUse?.(docPath, name);
    return pv.value;
  }
  let failed = false;
  const out = s.replace(ANY_REF, (whole, expr: string | undefined) => {
    if (whole === '$${') return '${';
    const m = PARAM_EXPR.exec(expr ?? '');
    if (!m) {
      failed = true;
      ctx.error(docPath, `cannot interpolate \`${whole}\`: only \${params.NAME} references are supported (write $\${ for a literal \${)`);
      return whole;
    }
    const name = m[1]!;
    const pv = ctx.values.get(name);
    if (!pv) {
      failed = true;
      ctx.error(docPath, unknownParamMessage(name, ctx.values));
      return whole;
    }
    if (pv.value !== null && typeof pv.value === 'object') {
      failed = true;
      ctx.error(docPath, `param \`${name}\` is ${describeValue(pv.value)} and cannot be interpolated into text; use it as the whole value`);
      return whole;
    }
    ctx.onUse?.(docPath, name);
    return String(pv.value);
  });
  return failed ? s : out;
}

function unknownParamMessage(name: string, values: ReadonlyMap<string, ParamValue>): string {
  const known = [...values.keys()];
  return `unknown param \`${name}\` in \${params.${name}}${didYouMean(name, known)}; ` + (known.length ? `declared params: ${listNames(known)}` : 'the pipeline declares no params');
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
