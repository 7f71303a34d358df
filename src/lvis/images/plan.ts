/**
 * What the images of a run are: the subset's and the pruned val's images, each with its split
 * folder, file name and size from the JSON. Every `coco_url` is checked here (names.ts): a name
 * that is not plain is an error naming the image.
 */
import { DiagnosticError, type Diagnostic } from '../../base/diagnostic.js';
import { imagePathOf, type ImagePath } from './names.js';
import type { ImageRecord } from './read-images.js';

export interface ImageRef extends ImagePath {
  id: number;
  width: number;
  height: number;
}

/** The images of one JSON file (the subset, or the pruned val). */
export interface ImageList {
  /** What the file is, for messages ("the subset"). */
  label: string;
  images: ImageRef[];
  /** Images without a `coco_url` (COCO-format data of one's own): count and the first ids. */
  withoutUrl: { count: number; firstIds: unknown[] };
}

export interface ImagePlan {
  train: ImageList;
  val?: ImageList;
}

const SHOWN = 5;

function describeId(r: ImageRecord): string {
  return typeof r.id === 'number' ? `image id ${r.id}` : `image #${r.index}`;
}

/** The image of record `r`, or why it cannot be placed. */
function refOf(r: ImageRecord): ImageRef | string {
  if (typeof r.id !== 'number') return `${describeId(r)}: "id" is ${JSON.stringify(r.id) ?? 'missing'}, expected a number`;
  for (const [field, v] of [['width', r.width], ['height', r.height]] as const) {
    if (!(typeof v === 'number' && Number.isInteger(v) && v > 0)) return `${describeId(r)}: "${field}" is ${JSON.stringify(v) ?? 'missing'}, expected a whole number of pixels`;
  }
  const at = imagePathOf(r.cocoUrl as string);
  if ('problem' in at) return `${describeId(r)}: its coco_url ${JSON.stringify(r.cocoUrl)} ${at.problem}`;
  return { id: r.id, width: r.width as number, height: r.height as number, ...at };
}

/** The images of `records`; a DiagnosticError listing the first bad ones (and how many). */
export function imageList(label: string, records: ImageRecord[]): ImageList {
  const list: ImageList = { label, images: [], withoutUrl: { count: 0, firstIds: [] } };
  const bad: string[] = [];
  for (const r of records) {
    if (r.cocoUrl === undefined) {
      if (list.withoutUrl.count++ < SHOWN) list.withoutUrl.firstIds.push(r.id);
      continue;
    }
    const ref = typeof r.cocoUrl === 'string' ? refOf(r) : `${describeId(r)}: "coco_url" is ${JSON.stringify(r.cocoUrl)}, expected a string`;
    if (typeof ref === 'string') bad.push(ref);
    else list.images.push(ref);
  }
  if (bad.length > 0) {
    const diags: Diagnostic[] = bad.slice(0, SHOWN).map((m) => ({ severity: 'error', message: `${label}: ${m}; the images step places each image at <folder>/<split>/<file>, so both must be plain names` }));
    if (bad.length > SHOWN) diags.push({ severity: 'error', message: `${label}: … and ${bad.length - SHOWN} more images like these (${bad.length} in all)` });
    throw new DiagnosticError(diags);
  }
  return list;
}

/** The images of the plan once each (an image in both files is placed once), in order. */
export function distinctImages(plan: ImagePlan): ImageRef[] {
  const seen = new Map<string, ImageRef>();
  for (const list of [plan.train, ...(plan.val ? [plan.val] : [])]) {
    for (const ref of list.images) {
      const key = `${ref.split}/${ref.file}`;
      const had = seen.get(key);
      if (!had) seen.set(key, ref);
      else if (had.width !== ref.width || had.height !== ref.height) {
        throw new DiagnosticError([{ severity: 'error', message: `${list.label}: image id ${ref.id} and image id ${had.id} are both ${key}, but one is ${ref.width}×${ref.height} and the other ${had.width}×${had.height}` }]);
      }
    }
  }
  return [...seen.values()];
}
