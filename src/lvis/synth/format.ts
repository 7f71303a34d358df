/**
 * JSON text in the style of the real LVIS files, which Python's `json.dump` wrote: one line,
 * `", "` and `": "` separators, non-ASCII escaped, floats always with a decimal point and
 * (for coordinates and areas) at most 2 decimals, e.g. `12.0`, `249.44`, `28.4`.
 */
import type { LvisCategoryMeta } from '../dataset/lvis-categories.js';
import type { AnnotationGeometry } from './geometry.js';

const FRACTIONS: string[] = Array.from({ length: 100 }, (_, f) =>
  f === 0 ? '.0' : f % 10 === 0 ? `.${f / 10}` : f < 10 ? `.0${f}` : `.${f}`,
);

/** A non-negative number given in integer hundredths, written as a Python float: 1250 → `12.5`. */
export function hundredths(v: number): string {
  const i = Math.floor(v / 100);
  return i + FRACTIONS[v - i * 100]!;
}

/** A number in [0, 1] written with at most 4 decimals, as a Python float (`0.0421`, `1.0`). */
export function score4(x: number): string {
  const v = Math.round(x * 10000);
  if (v >= 10000) return '1.0';
  const s = String(v).padStart(4, '0').replace(/0+$/, '');
  return s === '' ? '0.0' : `0.${s}`;
}

/** A JSON string as Python's json.dumps writes it (ensure_ascii: non-ASCII as \uXXXX). */
export function pyString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A list of integers: `[3, 17, 254]`. */
export function intList(values: ArrayLike<number>, from = 0, to = values.length): string {
  if (to <= from) return '[]';
  let s = '[' + values[from];
  for (let k = from + 1; k < to; k++) s += ', ' + values[k];
  return s + ']';
}

/** One annotation record, keys in LVIS v1 order. */
export function annotationJson(g: AnnotationGeometry, id: number, imageId: number, categoryId: number): string {
  let s = '{"area": ' + hundredths(g.area) + ', "id": ' + id + ', "segmentation": [';
  const p = g.coords;
  let start = 0;
  for (let k = 0; k < g.polygonEnds.length; k++) {
    const end = g.polygonEnds[k]!;
    s += (k ? ', [' : '[') + hundredths(p[start]!);
    for (let j = start + 1; j < end; j++) s += ', ' + hundredths(p[j]!);
    s += ']';
    start = end;
  }
  const b = g.bbox;
  return (
    s +
    '], "image_id": ' +
    imageId +
    ', "bbox": [' +
    hundredths(b[0]!) +
    ', ' +
    hundredths(b[1]!) +
    ', ' +
    hundredths(b[2]!) +
    ', ' +
    hundredths(b[3]!) +
    '], "category_id": ' +
    categoryId +
    '}'
  );
}

/** One category record with the counts of the generated file; fields as in the vendored metadata. */
export function categoryJson(m: LvisCategoryMeta, imageCount: number, instanceCount: number): string {
  return (
    `{"id": ${m.id}, "name": ${pyString(m.name)}, "synset": ${pyString(m.synset)}, "frequency": ${pyString(m.frequency)}, ` +
    `"image_count": ${imageCount}, "instance_count": ${instanceCount}, "def": ${pyString(m.def)}, ` +
    `"synonyms": [${m.synonyms.map(pyString).join(', ')}]}`
  );
}

/** The COCO image licenses, as LVIS files carry them. */
export const COCO_LICENSES_JSON =
  '[' +
  [
    ['http://creativecommons.org/licenses/by-nc-sa/2.0/', 1, 'Attribution-NonCommercial-ShareAlike License'],
    ['http://creativecommons.org/licenses/by-nc/2.0/', 2, 'Attribution-NonCommercial License'],
    ['http://creativecommons.org/licenses/by-nc-nd/2.0/', 3, 'Attribution-NonCommercial-NoDerivs License'],
    ['http://creativecommons.org/licenses/by/2.0/', 4, 'Attribution License'],
    ['http://creativecommons.org/licenses/by-sa/2.0/', 5, 'Attribution-ShareAlike License'],
    ['http://creativecommons.org/licenses/by-nd/2.0/', 6, 'Attribution-NoDerivs License'],
    ['http://flickr.com/commons/usage/', 7, 'No known copyright restrictions'],
    ['http://www.usa.gov/copyright.shtml', 8, 'United States Government Work'],
  ]
    .map(([url, id, name]) => `{"url": ${pyString(url as string)}, "id": ${id}, "name": ${pyString(name as string)}}`)
    .join(', ') +
  ']';
