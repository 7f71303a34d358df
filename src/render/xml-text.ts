/**
 * Chart text comes from data (category names, split names, param values), and data can hold
 * what XML cannot: a category named "bell\u0007" (valid JSON) made Vega write an SVG that resvg
 * refused ("non-XML character"), and the plot step crashed. Every string a chart draws is
 * passed through `xmlSafeText` first: terminal controls shown as the CLI shows them (`\x07`,
 * `\x1b`; `escapeControls`), and the rest of what XML 1.0 forbids (U+FFFE, U+FFFF, a lone
 * surrogate half) as `\ufffe`, `\ud800`. Visible escapes, not dropped characters, so that two
 * names that differ only there stay two names on the chart.
 */
import { escapeControls } from '../base/diagnostic.js';

const XML_FORBIDDEN = /[\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function xmlSafeText(s: string): string {
  return escapeControls(s).replace(XML_FORBIDDEN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `value` with `xmlSafeText` applied to every string in it, keys included (a copy; the input is not changed). */
export function xmlSafeValue<T>(value: T): T {
  if (typeof value === 'string') return xmlSafeText(value) as T;
  if (Array.isArray(value)) return value.map((v) => xmlSafeValue(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[xmlSafeText(k)] = xmlSafeValue(v);
    return out as T;
  }
  return value;
}
