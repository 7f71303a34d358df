/**
 * `prune-preds`: the original tool's prune_preds. Streams a predictions file (a JSON list of
 * detections, LVIS/COCO results format, plain or .gz, of any size) and keeps, in order and
 * byte for byte, the detections of kept categories on images of the pruned GT. The LVIS
 * API's `LVISResults` rejects a results file that names an image its GT does not have, so
 * both filters are needed for the pruned files to evaluate together.
 *
 * Each detection is an object with numeric `image_id` and `category_id`; the other fields
 * (bbox, score, segmentation) are copied as they are. Every detection, kept or dropped, is
 * checked as the evaluator checks them (eval/detection-check.ts): a bad one is reported at this
 * file and its index here, and no pruned file is written, rather than failing `evaluate` later
 * at a pruned copy in the cache, or passing a file the LVIS API would refuse whole as if it
 * were sound (a dropped detection's image size is not known here: its mask is checked against
 * its own size).
 */
import { DiagnosticError, type Diagnostic } from '../../base/diagnostic.js';
import { type ProgressReporter } from '../../base/progress.js';
import { diagnosticWithPosition, locateOffsets } from '../json/locate.js';
import { readNumberField } from '../json/object-field.js';
import { streamTopLevelArray } from '../json/top-level-array.js';
import { displayPath } from '../../base/display-path.js';
import { FastScanGaveUp, scanDetectionsFast } from './preds-fast-scan.js';
import { writeFileAtomically } from '../write/output-file.js';
import { detectionProblem, type ImageSize } from '../eval/detection-check.js';

export interface PrunePredsFilter {
  /** Category ids to keep. */
  categoryIds: ReadonlySet<number>;
  /** Image ids of the pruned GT. */
  imageIds: ReadonlySet<number>;
  /** Their height and width, for the kept detections' masks (unknown: a mask is checked against its own size). */
  imageSizes?: ImageSize;
}

export interface PrunePredsSummary {
  detections: number;
  kept: number;
  /** Dropped because the category is not kept (whatever the image). */
  droppedCategory: number;
  /** Dropped because the image is not in the pruned GT (category kept). */
  droppedImage: number;
  bytes: number;
  /** Whether the fast scan read the file (false: the exact path did; see prune-preds-scan.ts). */
  fastPath: boolean;
}

export interface PrunePredsProgress {
  progress?: ProgressReporter;
  signal?: AbortSignal;
  /** Write the output gzip-compressed. */
  gzip?: boolean;
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
  try {
    return await prunePredsFast(inPath, filter, outPath, opts);
  } catch (err) {
    if (!(err instanceof FastScanGaveUp)) throw err;
  }
  return prunePredsExact(inPath, filter, outPath, opts);
}

/** The fast path: one walk that finds each detection and its ids (prune-preds-scan.ts). */
async function prunePredsFast(
  inPath: string,
  filter: PrunePredsFilter,
  outPath: string,
  opts: PrunePredsProgress,
): Promise<PrunePredsSummary> {
  const summary: PrunePredsSummary = { detections: 0, kept: 0, droppedCategory: 0, droppedImage: 0, bytes: 0, fastPath: true };
  const categories = idTable(filter.categoryIds);
  const images = idTable(filter.imageIds);
  if (!categories || !images) throw new FastScanGaveUp(0); // ids too large for tables: the exact path
  const masks = { categories, images };
  const bad = new BadDetections();
  const size = filter.imageSizes ?? (() => undefined);
  let started = false;
  await writeFileAtomically(outPath, async (w) => {
    w.writeTextSync('[');
    const counts = await scanDetectionsFast(
      inPath,
      masks,
      (buf, start, end) => w.copySync(buf, start, end),
      {
        onSuspect: (buf, start, end, offset, index) => bad.check(buf, start, end, offset, index, size),
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
    summary.detections = counts.detections;
    summary.kept = counts.kept;
    summary.droppedCategory = counts.droppedCategory;
    summary.droppedImage = counts.droppedImage;
    if (bad.count > 0) throw await badDetectionsError(inPath, bad.listed, bad.count);
    w.writeTextSync(']');
    summary.bytes = w.bytesWritten;
  }, { gzip: opts.gzip === true });
  if (started) opts.progress?.done();
  return summary;
}

/**
 * A byte table of `ids` (1 at each id) for the fast scan, or undefined when an id is negative,
 * not an integer, or too large for a table (LVIS image ids are below 600,000, category ids
 * below 2,000; the limit is 2^25).
 */
function idTable(ids: ReadonlySet<number>): Uint8Array | undefined {
  let max = -1;
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= 1 << 25) return undefined;
    if (id > max) max = id;
  }
  const table = new Uint8Array(max + 1);
  for (const id of ids) table[id] = 1;
  return table;
}

/**
 * The exact path: json-scan's streamTopLevelArray, which accepts every valid file and
 * locates every error; used when the fast scan gives up.
 */
async function prunePredsExact(
  inPath: string,
  filter: PrunePredsFilter,
  outPath: string,
  opts: PrunePredsProgress,
): Promise<PrunePredsSummary> {
  const summary: PrunePredsSummary = { detections: 0, kept: 0, droppedCategory: 0, droppedImage: 0, bytes: 0, fastPath: false };
  const bad: BadDetection[] = [];
  let badCount = 0;
  const checked = new BadDetections();
  let started = false;

  await writeFileAtomically(outPath, async (w) => {
    w.writeTextSync('[');
    let first = true;
    const { count } = await streamTopLevelArray(
      inPath,
      (bytes, start, index) => {
        const ids = detectionIds(bytes);
        if (typeof ids === 'string') {
          if (badCount++ < MAX_REPORTED) bad.push({ index, offset: start, message: ids });
          return;
        }
        const good = checked.check(bytes, 0, bytes.length, start, index, filter.imageSizes ?? (() => undefined));
        if (!filter.categoryIds.has(ids.categoryId)) summary.droppedCategory++;
        else if (!filter.imageIds.has(ids.imageId)) summary.droppedImage++;
        else if (good) {
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
    if (badCount > 0 || checked.count > 0) {
      const all = [...bad, ...checked.listed].sort((a, b) => a.offset - b.offset).slice(0, MAX_REPORTED);
      throw await badDetectionsError(inPath, all, badCount + checked.count);
    }
    w.writeTextSync(']');
    summary.detections = count;
    summary.bytes = w.bytesWritten;
  }, { gzip: opts.gzip === true });
  if (started) opts.progress?.done();
  return summary;
}

/** Detections that the evaluator would refuse: the first MAX_REPORTED, and a count. */
class BadDetections {
  readonly listed: BadDetection[] = [];
  count = 0;

  /** Checks the detection buf[start, end) (at `offset` of the file, its #index); true when it is good. */
  check(buf: Buffer, start: number, end: number, offset: number, index: number, size: ImageSize): boolean {
    const problem = detectionProblem(buf, start, end, size);
    if (problem === undefined) return true;
    if (this.count++ < MAX_REPORTED) this.listed.push({ index, offset, message: problem });
    return false;
  }
}

const SEPARATOR = Buffer.from(', ');
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
