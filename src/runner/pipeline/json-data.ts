/**
 * A pipeline's values are JSON data: text, numbers, true/false, null, lists and mappings. They
 * go into cache keys and into the sealed history record, both written as JSON. YAML can make
 * more than that (`!!binary` bytes, a `!!timestamp` date, a `!!set`, an `!!omap`, `.inf`), and so
 * can a `.js` config file; such a value would be hashed as one thing and written as another (a
 * history record that then fails its own seal, two dates with the same cache key). It is refused
 * where it is written, before anything runs.
 */
export interface NotJsonData {
  /** Where in the value (keys and indices: a YamlSource's DocPath). */
  path: readonly (string | number)[];
  /** What it is, in words: "bytes (`!!binary`)", "infinity (`.inf`)", … */
  what: string;
  /** What to write instead. */
  fix: string;
}

/** Every part of `value` that is not JSON data (at most `limit` of them), outermost first. */
export function notJsonData(value: unknown, limit = 20): NotJsonData[] {
  const out: NotJsonData[] = [];
  const walk = (v: unknown, at: (string | number)[]): void => {
    if (out.length >= limit) return;
    const problem = describeNonJson(v);
    if (problem) {
      out.push({ path: at, ...problem });
      return;
    }
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
  };
  walk(value, []);
  return out;
}

const AS_TEXT = 'write it as plain text, a number, true/false, null, a list or a mapping (without the tag)';

/** What `v` itself is when it is not JSON data (its members are not looked at); undefined when it is. */
function describeNonJson(v: unknown): { what: string; fix: string } | undefined {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      if (Number.isFinite(v)) return undefined;
      if (Number.isNaN(v)) return { what: 'not a number (`.nan`)', fix: 'write a finite number' };
      return { what: v < 0 ? 'minus infinity (`-.inf`, or a number too large for a double)' : 'infinity (`.inf`, or a number too large for a double)', fix: 'write a finite number' };
    case 'bigint':
      return { what: 'an integer too large for JSON', fix: 'write it as text or a smaller number' };
    case 'object': {
      if (v === null || Array.isArray(v)) return undefined;
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto === Object.prototype || proto === null) return undefined;
      if (v instanceof Uint8Array) return { what: 'bytes (`!!binary`)', fix: AS_TEXT };
      if (v instanceof Date) return { what: 'a timestamp (`!!timestamp`)', fix: 'write it as text, e.g. "2001-12-14" (without the tag)' };
      if (v instanceof Map) return { what: 'an ordered map (`!!omap`)', fix: 'write a plain mapping (without the tag)' };
      if (v instanceof Set) return { what: 'a set (`!!set`)', fix: 'write a list (without the tag)' };
      const name = (v as { constructor?: { name?: string } }).constructor?.name;
      return { what: `a ${name || 'non-plain'} object`, fix: AS_TEXT };
    }
    default:
      return { what: `a ${typeof v}`, fix: AS_TEXT };
  }
}

/** The message for one problem: the same words wherever the value came from. */
export function notJsonMessage(p: NotJsonData): string {
  return `${p.what} is not JSON data, and a pipeline's values must be (they are hashed and recorded as JSON): ${p.fix}`;
}
