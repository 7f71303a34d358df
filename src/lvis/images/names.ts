/**
 * Where an image goes, from its `coco_url`: the last two segments of the URL are its split
 * folder and its file (`http://images.cocodataset.org/train2017/000000391895.jpg` →
 * `train2017/000000391895.jpg`), exactly as detectron2's `get_file_name` and mmdetection's
 * `LVISV1Dataset` find it. `coco_url` comes from a data file, so both must be plain names:
 * nothing the images step writes may land outside its folder.
 */

export interface ImagePath {
  split: string;
  file: string;
}

/** Why `name` is not a plain file name (undefined when it is one). */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name === '.' || name === '..') return `is ${JSON.stringify(name)}`;
  if (name.startsWith('.')) return 'starts with a dot (the folder’s own bookkeeping files do)';
  if (/[/\\]/.test(name)) return 'holds a slash or a backslash';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'holds a control character';
  if (Buffer.byteLength(name) > 255) return 'is longer than a file name may be (255 bytes)';
  return undefined;
}

/** The split folder and file of a `coco_url`, or why there are none. */
export function imagePathOf(cocoUrl: string): ImagePath | { problem: string } {
  // The raw text's last two segments, as detectron2 and mmdetection take them (not URL-decoded,
  // and before a URL parser would resolve a `..`).
  const parts = cocoUrl.split('/');
  const split = parts.length >= 2 ? parts[parts.length - 2]! : '';
  const file = parts[parts.length - 1]!;
  for (const [what, name] of [['file name', file], ['split folder', split]] as const) {
    const problem = nameProblem(name);
    if (problem) return { problem: `its ${what} ${JSON.stringify(name)} ${problem}` };
  }
  let url: URL;
  try {
    url = new URL(cocoUrl);
  } catch {
    return { problem: 'is not an absolute URL' };
  }
  if (url.pathname.split('/').filter(Boolean).length < 2) return { problem: 'has no split folder before the file name (…/train2017/000000391895.jpg)' };
  return { split, file };
}
