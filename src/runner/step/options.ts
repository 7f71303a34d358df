/**
 * A step's options are declared once, as a JSON Schema literal (`as const`) in the step's
 * module: each option's type, constraints, default and description. Everything else derives
 * from it:
 * - the options' TypeScript type (`OptionsOf`, through json-schema-to-ts, types only);
 * - validation and defaults (ajv, from the pipeline schema that pipeline/schema.ts composes);
 * - the defaults in code (`optionDefaults`), for tests, benchmarks and other callers;
 * - `lvis-pipe steps TYPE` and the generated reference docs (`describeOptions`).
 * Rules across options that a schema cannot state go in the step's `check()`, beside it.
 */
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { JsonSchema } from './step.js';

/** The options object a step's `run` gets, with defaults applied. */
export type OptionsOf<S extends JSONSchema> = FromSchema<S>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The defaults of an options schema, nested objects included (what ajv's useDefaults fills in). */
export function optionDefaults(schema: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const props = isObject(schema.properties) ? schema.properties : {};
  for (const [name, prop] of Object.entries(props)) {
    if (!isObject(prop)) continue;
    if (prop.default !== undefined) out[name] = structuredClone(prop.default);
    if (prop.type === 'object' && isObject(prop.properties)) out[name] = { ...optionDefaults(prop), ...(out[name] as object | undefined) };
  }
  return out;
}

/** An option's accepted values in words: "an integer ≥ 1 or "all"", "one of "bbox", "area"". */
export function describeType(schema: unknown): string {
  if (!isObject(schema)) return 'any value';
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives)) return alternatives.map(describeType).join(' or ');
  const type = schema.type;
  if (type === 'null') return 'null';
  if (type === 'array') {
    const items = describeType(schema.items).replace(/^an? /, '');
    return `a list of ${items.endsWith('s') || items.startsWith('one of') ? items : `${items}s`}`;
  }
  if (type === 'object' && isObject(schema.properties)) return `a mapping of ${Object.keys(schema.properties).join(', ')}`;
  const noun =
    type === 'integer' ? 'an integer' : type === 'number' ? 'a number' : type === 'string' ? 'a string' : type === 'boolean' ? 'true or false' : typeof type === 'string' ? `a ${type}` : 'a value';
  const bounds: string[] = [];
  if (typeof schema.minimum === 'number') bounds.push(`≥ ${schema.minimum}`);
  if (typeof schema.exclusiveMinimum === 'number') bounds.push(`> ${schema.exclusiveMinimum}`);
  if (typeof schema.maximum === 'number') bounds.push(`≤ ${schema.maximum}`);
  if (typeof schema.exclusiveMaximum === 'number') bounds.push(`< ${schema.exclusiveMaximum}`);
  if (typeof schema.minLength === 'number' && schema.minLength > 0 && type === 'string') bounds.push('not empty');
  return bounds.length ? `${noun} ${bounds.join(' and ')}` : noun;
}

export interface OptionDoc {
  name: string;
  /** Accepted values in words. */
  type: string;
  /** The default as JSON, or undefined when the option has none. */
  default?: string;
  description: string;
}

/** One row per option of an options schema, in declaration order. */
export function describeOptions(schema: JsonSchema): OptionDoc[] {
  const props = isObject(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  return Object.entries(props).map(([name, prop]) => {
    const p = isObject(prop) ? prop : {};
    const def = p.default !== undefined ? JSON.stringify(p.default) : undefined;
    return {
      name,
      type: describeType(p),
      ...(def !== undefined ? { default: def } : {}),
      description: `${typeof p.description === 'string' ? p.description : ''}${required.has(name) ? ' (required)' : ''}`,
    };
  });
}
