/** ajv's schema errors as diagnostics at the offending value's line:col, in words a user can act on. */
import { describeType } from '../step/options.js';
import { isPlainObject, originLabel, shortJson, type ParamValue } from './params.js';
import type { ErrorObject } from 'ajv';
import { type Diagnostic } from '../../base/diagnostic.js';
import type { StepRegistry } from '../step/registry.js';
import { SWEEP_CHART_KEYS, SWEEP_KEYS } from './schema.js';
import { didYouMean, listNames } from '../../base/suggest.js';
import { YamlSource, pointerToPath } from './yaml-source.js';

export function schemaDiagnostics(
  errors: ErrorObject[],
  src: YamlSource,
  registry: StepRegistry,
  doc: Record<string, unknown>,
  fromParam: Map<string, string>,
  values: ReadonlyMap<string, ParamValue>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const steps = (isPlainObject(doc.steps) ? doc.steps : {}) as Record<string, Record<string, unknown>>;
  const badType = new Set<string>();
  for (const e of errors) {
    const p = pointerToPath(e.instancePath);
    if (p[0] === 'steps' && p.length === 3 && p[2] === 'type' && (e.keyword === 'enum' || e.keyword === 'type')) badType.add(p[1]!);
  }
  // An option whose schema is a choice (anyOf: "an integer ≥ 1 or "all""): one message for
  // it, instead of one per failed branch (ajv reports every branch, then the anyOf itself).
  const choicePaths = new Set(errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.instancePath));
  for (const e of errors) {
    if (e.keyword === 'if' || e.keyword === 'propertyNames') continue;
    if (choicePaths.has(e.instancePath) && e.keyword !== 'anyOf' && e.keyword !== 'oneOf') continue;
    const p = pointerToPath(e.instancePath);
    const stepId = p[0] === 'steps' && p.length >= 2 ? p[1]! : undefined;
    if (stepId && badType.has(stepId) && !(p.length === 3 && p[2] === 'type')) continue;
    const stepType = stepId && isPlainObject(steps[stepId]) ? String(steps[stepId]!.type) : undefined;
    const mod = stepType ? registry.get(stepType) : undefined;
    const stepLabel = stepId ? `step \`${stepId}\`${mod ? ` (type \`${mod.type}\`)` : ''}` : '';
    const section = p[2];
    const rest = p.slice(3);
    const params = e.params as Record<string, any>;

    // Invalid names (step ids, param names): ajv reports them with `propertyName`.
    if ((e as ErrorObject & { propertyName?: string }).propertyName !== undefined) {
      const name = (e as ErrorObject & { propertyName?: string }).propertyName!;
      const what = p.length === 1 && p[0] === 'steps' ? 'step id' : p[0] === 'params' && p.length === 1 ? 'param name' : 'name';
      out.push(src.diagnosticAt([...p, name], `invalid ${what} \`${name}\`: use letters, digits, \`_\` and \`-\`, not starting with a digit`, 'key'));
      continue;
    }

    if (e.keyword === 'additionalProperties') {
      const key = String(params.additionalProperty);
      const at = [...p, key];
      let message: string;
      if (p.length === 0) message = `unknown top-level key \`${key}\`${didYouMean(key, ['params', 'steps', 'sweep'])}; expected \`params\`, \`steps\` and \`sweep\``;
      else if (stepId && p.length === 2) message = `${stepLabel}: unknown key \`${key}\`${didYouMean(key, ['type', 'inputs', 'options', 'description'])}; a step has \`type\`, \`inputs\`, \`options\` and \`description\``;
      else if (stepId && section === 'options' && mod) {
        const known = knownProps(mod.optionsSchema, rest);
        message = `${stepLabel}: unknown option \`${[...rest, key].join('.')}\`${didYouMean(key, known)}; ${known.length ? `its options: ${listNames(known)}` : 'it takes no options here'}`;
      } else if (stepId && section === 'inputs' && mod) {
        const known = Object.keys(mod.inputs);
        message = `${stepLabel}: unknown input \`${key}\`${didYouMean(key, known)}; ${known.length ? `its inputs: ${known.map((k) => `\`${k}\` (${mod.inputs[k]!.kind})`).join(', ')}` : 'it takes no inputs'}`;
      } else if (p[0] === 'sweep') {
        const known = p[1] === 'chart' ? SWEEP_CHART_KEYS : SWEEP_KEYS;
        message = `${p[1] === 'chart' ? 'sweep.chart' : 'sweep'}: unknown key \`${key}\`${didYouMean(key, known)}; expected ${known.map((k) => `\`${k}\``).join(', ')}`;
      }
      else message = `unknown key \`${key}\``;
      out.push(src.diagnosticAt(at, message, 'key'));
      continue;
    }

    if (e.keyword === 'required') {
      const missing = String(params.missingProperty);
      let message: string;
      if (p.length === 0) message = `missing \`${missing}\`: a pipeline needs a \`steps:\` mapping`;
      else if (stepId && p.length === 2) message = `${stepLabel}: missing \`${missing}\`${missing === 'type' ? `; known types: ${listNames(registry.types())}` : ''}`;
      else if (stepId && section === 'options') message = `${stepLabel}: missing required option \`${[...rest, missing].join('.')}\``;
      else if (stepId && section === 'inputs' && mod) message = `${stepLabel}: missing required input \`${missing}\` (a \`${mod.inputs[missing]?.kind}\`)`;
      else message = `missing required key \`${missing}\``;
      out.push(src.diagnosticAt(p, message));
      continue;
    }

    if (stepId && p.length === 3 && section === 'type' && e.keyword === 'enum') {
      const t = String(steps[stepId]?.type);
      out.push(src.diagnosticAt(p, `${stepLabel || `step \`${stepId}\``}: unknown step type \`${t}\`${didYouMean(t, registry.types())}; known types: ${listNames(registry.types())}`));
      continue;
    }

    if (stepId && section === 'inputs' && e.keyword === 'pattern') {
      out.push(src.diagnosticAt(p, `${stepLabel}: input \`${rest.join('.')}\`: ${JSON.stringify(valueAt(doc, p))} is not a reference; write \`stepId\` or \`stepId.output\``));
      continue;
    }

    // Anything else: a wrong value. Say where it came from when it came from a param.
    const value = valueAt(doc, p);
    const param = fromParam.get(e.instancePath);
    const pv = param ? values.get(param) : undefined;
    const whence = param && pv ? ` (from \${params.${param}}, set by ${originLabel(pv.origin)})` : '';
    const what =
      stepId && section === 'options' && rest.length ? `${stepLabel}: option \`${rest.join('.')}\`` : stepId ? `${stepLabel}: \`${p.slice(2).join('.')}\`` : `\`${p.join('.')}\``;
    const choice = (e.keyword === 'anyOf' || e.keyword === 'oneOf') && mod && section === 'options' ? optionSchemaAt(mod.optionsSchema, rest) : undefined;
    const detail =
      e.keyword === 'enum'
        ? `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}${typeof value === 'string' ? didYouMean(value, (params.allowedValues as unknown[]).filter((v): v is string => typeof v === 'string')) : ''}`
        : choice && Array.isArray(choice.anyOf ?? choice.oneOf)
          ? `must be ${((choice.anyOf ?? choice.oneOf) as unknown[]).map(describeType).join(' or ')}` +
            (typeof value === 'string'
              ? didYouMean(value, ((choice.anyOf ?? choice.oneOf) as unknown[]).flatMap((b) => (isPlainObject(b) && typeof b.const === 'string' ? [b.const] : [])))
              : '')
          : (e.message ?? 'is invalid');
    out.push(src.diagnosticAt(p, `${what} ${detail}, got ${shortJson(value)}${whence}`));
  }
  return out;
}

/** The schema of option `sub` (a property path) in an options schema. */
function optionSchemaAt(schema: Record<string, unknown>, sub: readonly string[]): Record<string, unknown> | undefined {
  let s: unknown = schema;
  for (const seg of sub) s = isPlainObject(s) && isPlainObject(s.properties) ? s.properties[seg] : undefined;
  return isPlainObject(s) ? s : undefined;
}

/** A branch of a choice in words: `an integer ≥ 1`, `"all"`, `null`, `a number > 0`. */
function knownProps(schema: Record<string, unknown>, sub: readonly string[]): string[] {
  let s: unknown = schema;
  for (const seg of sub) {
    s = isPlainObject(s) && isPlainObject(s.properties) ? s.properties[seg] : undefined;
  }
  return isPlainObject(s) && isPlainObject(s.properties) ? Object.keys(s.properties) : [];
}

function valueAt(doc: unknown, p: readonly string[]): unknown {
  let v = doc;
  for (const seg of p) v = isPlainObject(v) || Array.isArray(v) ? (v as Record<string, unknown>)[seg] : undefined;
  return v;
}
