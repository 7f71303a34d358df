/**
 * `prune-preds`: the seed's prune_preds. Streams a predictions file (a JSON list of
 * detections, LVIS/COCO results format, plain or .gz, of any size) and keeps, in order and
 * byte for byte, the detections of kept categories on images of the pruned GT. The LVIS
 * API's `LVISResults` rejects a results file that names an image its GT does not have, so
 * both filters are needed for the pruned files to evaluate together.
 *
 * Each detection is an object with numeric `image_id` and `category_id`; the other fields
 * (bbox, score, segmentation) are copied as they are, never parsed.
 */
import { DiagnosticError, type Diagnostic } from '../runner/diagnostic.js';
import type { ProgressReporter } from '../runner/step.js';
import { diagnosticWithPosition, displayPath, locateOffsets, readNumberField, skipElement, streamTopLevelArray } from './json-scan.js';
import { writeFileAtomically } from './write-file.js';

export interface PrunePredsFilter {
  /** Category ids to keep. */
  categoryIds: ReadonlySet<number>;
  /** Image ids of the pruned GT. */
  imageIds: ReadonlySet<number>;
}

export interface PrunePredsSummary {
  detections: number;
  kept: number;
  /** Dropped because the category is not kept (whatever the image). */
  droppedCategory: number;
  /** Dropped because the image is not in the pruned GT (category kept). */
  droppedImage: number;
  bytes: number;
}

export interface PrunePredsProgress {
  progress?: ProgressReporter;
  signal?: AbortSignal;
}

/** Bad detections reported in one error, before "and N more". */
const MAX_REPORTED = 10;

/** A bad detection found while streaming; turned into a Diagnostic (with line:col) afterwards. */
interface BadDetection {
  index: number;
  offset: number;
  message: string;
}

export async function prunePreds(
  inPath: string,
  filter: PrunePredsFilter,
  outPath: string,
  opts: PrunePredsProgress = {},
): Promise<PrunePredsSummary> {
  const summary: PrunePredsSummary = { detections: 0, kept: 0, droppedCategory: 0, droppedImage: 0, bytes: 0 };
  const bad: BadDetection[] = [];
  let badCount = 0;
  opts.progress?.start('pruning predictions', 1, 'bytes');
  let started = false;

  await writeFileAtomically(outPath, async (w) => {
    w.writeTextSync('[');
    let first = true;
    const { count } = await streamTopLevelArray(
      inPath,
      (bytes, start, index) => {
        let imageId: number;
        let categoryId: number;
        if (readIdsFast(bytes)) {
          imageId = fastIds.imageId;
          categoryId = fastIds.categoryId;
        } else {
          const ids = detectionIds(bytes);
          if (typeof ids === 'string') {
            if (badCount++ < MAX_REPORTED) bad.push({ index, offset: start, message: ids });
            return;
          }
          imageId = ids.imageId;
          categoryId = ids.categoryId;
        }
        if (!filter.categoryIds.has(categoryId)) summary.droppedCategory++;
        else if (!filter.imageIds.has(imageId)) summary.droppedImage++;
        else {
          if (first) first = false;
          else w.writeSync(SEPARATOR);
          w.writeSync(bytes);
          summary.kept++;
        }
      },
      {
        label: 'detections',
        ...(opts.signal ? { signal: opts.signal } : {}),
        onProgress: (done, total) => {
          if (!started) {
            opts.progress?.start('pruning predictions', total, 'bytes');
            started = true;
          }
          opts.progress?.update(done);
        },
      },
    );
    if (badCount > 0) throw await badDetectionsError(inPath, bad, badCount);
    w.writeTextSync(']');
    summary.detections = count;
    summary.bytes = w.bytesWritten;
  });
  opts.progress?.done();
  return summary;
}

const SEPARATOR = Buffer.from(', ');
const IMAGE_ID = Buffer.from('image_id');
const CATEGORY_ID = Buffer.from('category_id');

/** Where readIdsFast puts what it read (no object per detection). */
const fastIds = { imageId: 0, categoryId: 0 };

/**
 * The hot path: reads `image_id` and `category_id` of a detection whose keys have no escapes
 * and whose ids are plain non-negative integers, and stops as soon as it has both (detectors
 * write them first). Returns false for anything else, and detectionIds() then reads the
 * detection slowly and says what is wrong, if anything. streamTopLevelArray has already
 * checked the element's JSON, so this only needs to find things.
 *
 * Why hand-written: with two readNumberField calls per detection (each walks the keys from
 * the start and reads the number through the general number reader) prune-preds ran at
 * 37 MB/s on the 119 MB benchmark file; reading both ids in one walk that stops early gives
 * the numbers in BENCHMARKS.md.
 */
function readIdsFast(b: Buffer): boolean {
  const end = b.length;
  let found = 0;
  if (b[0] !== 0x7b) return false;
  let p = 1;
  for (;;) {
    while (p < end && (b[p] === 0x20 || b[p] === 0x0a || b[p] === 0x0d || b[p] === 0x09)) p++;
    if (b[p] !== 0x22) return false;
    let keyEnd = p + 1;
    let escaped = false;
    for (let c = b[keyEnd]; c !== 0x22; c = b[++keyEnd]) {
      if (c === undefined) return false;
      if (c === 0x5c) escaped = true;
    }
    if (escaped) return false; // an escaped key: slow path
    const keyLen = keyEnd - p - 1;
    const which = keyLen === 8 && keyEquals(b, p + 1, IMAGE_ID) ? 1 : keyLen === 11 && keyEquals(b, p + 1, CATEGORY_ID) ? 2 : 0;
    p = keyEnd + 1;
    while (p < end && b[p] !== 0x3a) p++;
    p++;
    while (p < end && (b[p] === 0x20 || b[p] === 0x0a || b[p] === 0x0d || b[p] === 0x09)) p++;
    if (which !== 0) {
      let v = 0;
      const start = p;
      for (let c = b[p]!; c >= 0x30 && c <= 0x39; c = b[++p]!) v = v * 10 + (c - 0x30);
      if (p === start || p - start > 15) return false;
      const c = b[p];
      if (c === 0x2e || c === 0x65 || c === 0x45) return false; // 3.0, 1e3: slow path
      if (which === 1) fastIds.imageId = v;
      else fastIds.categoryId = v;
      found |= which;
      if (found === 3) return true;
    } else {
      try {
        p = skipElement(b, p, end);
      } catch {
        return false;
      }
    }
    while (p < end && (b[p] === 0x20 || b[p] === 0x0a || b[p] === 0x0d || b[p] === 0x09)) p++;
    if (b[p] !== 0x2c) return false; // '}' without both ids, or anything odd: slow path
    p++;
  }
}

function keyEquals(b: Buffer, at: number, key: Buffer): boolean {
  for (let i = 0; i < key.length; i++) if (b[at + i] !== key[i]) return false;
  return true;
}

/** The detection's ids, or what is wrong with it. */
function detectionIds(bytes: Buffer): { imageId: number; categoryId: number } | string {
  let imageId: number | undefined;
  let categoryId: number | undefined;
  try {
    imageId = readId(bytes, 'image_id');
    categoryId = readId(bytes, 'category_id');
  } catch (err) {
    return (err as Error).message;
  }
  if (imageId === undefined) return 'the detection has no "image_id"';
  if (categoryId === undefined) return 'the detection has no "category_id"';
  return { imageId, categoryId };
}

function readId(bytes: Buffer, field: string): number | undefined {
  const v = readNumberField(bytes, field);
  if (v !== undefined && !Number.isInteger(v)) throw new Error(`field "${field}" must be an integer id, found ${v}`);
  return v;
}

async function badDetectionsError(path: string, bad: BadDetection[], total: number): Promise<DiagnosticError> {
  // line:col of every listed detection, in one more pass over the file.
  const positions = await locateOffsets(path, bad.map((b) => b.offset));
  const diagnostics: Diagnostic[] = bad.map((b) =>
    diagnosticWithPosition(path, b.offset, positions.get(b.offset)!, `detection #${b.index}: ${b.message}`),
  );
  if (total > bad.length) {
    diagnostics.push({
      severity: 'error',
      message: `… and ${total - bad.length} more bad detection(s)`,
      location: { file: displayPath(path) },
    });
  }
  return new DiagnosticError(diagnostics);
}
