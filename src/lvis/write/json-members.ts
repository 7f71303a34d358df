/**
 * Textual edits of one JSON object's top-level members, for the few records the write and
 * prune steps must change (a category's counts, an image's neg lists, the `info` note).
 *
 * Editing the text instead of `JSON.parse` + `JSON.stringify` keeps everything else in the
 * record exactly as in the source: key order, spacing, and number spellings such as `1.0`
 * or `1e-3` that a round trip through JS numbers would rewrite.
 *
 * The input must be valid JSON (records come from a file the `load` step has validated);
 * the scanner only needs to find where each member's value starts and ends.
 */

export interface MemberSpan {
  /** The decoded key. */
  key: string;
  /** Offset of the key's opening quote. */
  keyStart: number;
  /** Value text is text.slice(valueStart, valueEnd). */
  valueStart: number;
  valueEnd: number;
}

/** The top-level members of the JSON object `text`, in order. */
export function objectMembers(text: string): MemberSpan[] {
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) !== 0x7b /* { */) throw new Error('internal: not a JSON object');
  i = skipWs(text, i + 1);
  const members: MemberSpan[] = [];
  if (text.charCodeAt(i) === 0x7d /* } */) return members;
  for (;;) {
    const keyStart = i;
    const keyEnd = skipString(text, i);
    const rawKey = text.slice(keyStart, keyEnd);
    const key = rawKey.includes('\\') ? (JSON.parse(rawKey) as string) : rawKey.slice(1, -1);
    i = skipWs(text, keyEnd);
    if (text.charCodeAt(i) !== 0x3a /* : */) throw new Error('internal: malformed JSON object');
    const valueStart = skipWs(text, i + 1);
    const valueEnd = skipValue(text, valueStart);
    members.push({ key, keyStart, valueStart, valueEnd });
    i = skipWs(text, valueEnd);
    const c = text.charCodeAt(i);
    if (c === 0x7d) return members;
    if (c !== 0x2c /* , */) throw new Error('internal: malformed JSON object');
    i = skipWs(text, i + 1);
  }
}

/** Element spans [start, end) of the JSON array `text`. */
export function arrayElements(text: string): Array<[number, number]> {
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) !== 0x5b /* [ */) throw new Error('internal: not a JSON array');
  i = skipWs(text, i + 1);
  const out: Array<[number, number]> = [];
  if (text.charCodeAt(i) === 0x5d /* ] */) return out;
  for (;;) {
    const end = skipValue(text, i);
    out.push([i, end]);
    i = skipWs(text, end);
    const c = text.charCodeAt(i);
    if (c === 0x5d) return out;
    if (c !== 0x2c) throw new Error('internal: malformed JSON array');
    i = skipWs(text, i + 1);
  }
}

/** Replaces the value of `member` (a span of `text` from objectMembers) with `valueText`. */
export function replaceMemberValue(text: string, member: MemberSpan, valueText: string): string {
  return text.slice(0, member.valueStart) + valueText + text.slice(member.valueEnd);
}

/**
 * Sets member `key` of the object `text` to `valueText`: replaces its value if the key
 * exists, else appends the member at the end of the object.
 */
export function setMember(text: string, key: string, valueText: string): string {
  const members = objectMembers(text);
  const existing = members.find((m) => m.key === key);
  if (existing) return replaceMemberValue(text, existing, valueText);
  const member = `${JSON.stringify(key)}: ${valueText}`;
  if (members.length === 0) {
    const open = text.indexOf('{');
    return `${text.slice(0, open + 1)}${member}${text.slice(text.lastIndexOf('}'))}`;
  }
  const last = members[members.length - 1]!;
  return `${text.slice(0, last.valueEnd)}, ${member}${text.slice(last.valueEnd)}`;
}

/**
 * Keeps only the elements of the array value `arrayText` for which `keep(elementText)` is
 * true. Kept elements keep their exact text; they are joined with the separator the source
 * used between its first two elements (`", "` in LVIS files).
 */
export function filterArrayText(arrayText: string, keep: (elementText: string) => boolean): string {
  const spans = arrayElements(arrayText);
  const kept = spans.filter(([s, e]) => keep(arrayText.slice(s, e)));
  if (kept.length === spans.length) return arrayText;
  const separator = spans.length >= 2 ? arrayText.slice(spans[0]![1], spans[1]![0]) : ', ';
  return `[${kept.map(([s, e]) => arrayText.slice(s, e)).join(separator)}]`;
}

function skipWs(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

/** `i` is at an opening quote; returns the offset just past the closing quote. */
function skipString(text: string, i: number): number {
  if (text.charCodeAt(i) !== 0x22) throw new Error('internal: expected a JSON string');
  i++;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c === 0x5c) i += 2;
    else if (Number.isNaN(c)) throw new Error('internal: unterminated JSON string');
    else i++;
  }
}

/** `i` is at the first character of a value; returns the offset just past it. */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 0x22) return skipString(text, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (;;) {
      const d = text.charCodeAt(i);
      if (Number.isNaN(d)) throw new Error('internal: unterminated JSON value');
      if (d === 0x22) {
        i = skipString(text, i);
        continue;
      }
      if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
  }
  // number, true, false, null: up to the next delimiter
  while (i < text.length) {
    const d = text.charCodeAt(i);
    if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
    i++;
  }
  return i;
}
