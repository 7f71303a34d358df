/**
 * LVIS evaluation of a results file against a GT file, both as files (plain or .gz, any size):
 * the GT goes through the `load` machinery (the columnar Dataset, with every record checked and
 * located), the detections are streamed into typed columns (read-detections.ts), what masks
 * need of the GT is read in one more pass (gt-extras.ts), then evaluate.ts scores them, for
 * boxes, masks or both. What the `evaluate` step and command run; plain data in and out.
 */
import { basename } from 'node:path';
import type { Dataset } from '../dataset/dataset.js';
import { loadDataset } from '../load/load.js';
import { boxMasks } from './detection-masks.js';
import { evaluateDetections, prepareDetections, type EvalProgress, type EvalResult, type IouType } from './evaluate.js';
import { gtIndexFromDataset } from './gt-dataset.js';
import { gtRecordsOf, type GtExtras, type GtExtrasOptions } from './gt-extras.js';
import { prepareGtExtrasThread, startGtExtras } from './gt-extras-task.js';
import { isEvaluatedArea, type GtIndex } from './gt-index.js';
import { firstDetectionHasMask, readDetections, type ReadDetectionsResult } from './read-detections.js';
import { HAS_BOX, HAS_SEGMENTATION } from './detections.js';
import { apiFirstDetection } from './areas.js';
import { evaluationNotes } from './evaluation-notes.js';
import { BadMaskError } from './mask-iou.js';
import { DiagnosticError } from '../../base/diagnostic.js';
import { diagnosticAt } from '../json/locate.js';

export interface EvaluateFilesOptions {
  signal?: AbortSignal;
  progress?: EvalProgress;
  /** bbox, segm, or auto (the default): bbox, and segm too when a detection has a `segmentation`. */
  iouType?: IouType | 'auto';
  /**
   * For mask AP: 'auto' (the default) draws the GT masks and scores in two threads when the GT
   * is large enough to gain from it; 'always' does on any GT (tests run both paths with it).
   */
  gtThread?: 'auto' | 'always';
  /** Names of the two files in progress labels (default: their base names). */
  gtLabel?: string;
  predsLabel?: string;
}

export interface EvaluateFilesResult {
  /** One per IoU type evaluated: bbox first. */
  evaluations: EvalResult[];
  gt: {
    images: number;
    /** Annotations in the file, and those evaluated (area in (0, inf)). */
    annotations: number;
    evaluatedAnnotations: number;
    categories: number;
    format: 'lvis' | 'coco';
    /** True when the file has no `frequency` (COCO): tiers were derived from image counts. */
    tiersDerived: boolean;
  };
  detections: number;
  /** Detections with a `segmentation`, and GT images with at least one detection. */
  detectionsWithMasks: number;
  imagesWithDetections: number;
  /** Remarks on the two files, for every evaluation (warnings start with "warning:"). */
  notes: string[];
}

/**
 * Read window of each pass over the two files: 1 MB rather than the usual 8. Each window is two
 * buffers of fresh memory, and first touching a page costs more than reading it (measured on
 * the 2-core machine: ~2.7 ms per MB; mask AP reads with four windows, two threads at a time).
 */
export const EVAL_WINDOW_BYTES = 1 << 20;

export async function evaluateFiles(gtPath: string, predsPath: string, opts: EvaluateFilesOptions = {}): Promise<EvaluateFilesResult> {
  const wanted = opts.iouType ?? 'auto';
  // The GT's masks are drawn while the detections are read (on a second thread, with two cores,
  // which boots while the GT loads).
  const early = wanted === 'segm' || (wanted === 'auto' && (await firstDetectionHasMask(predsPath)));
  const thread = early ? prepareGtExtrasThread() : undefined;
  let ds: Dataset;
  try {
    ds = await loadGt(gtPath, opts);
  } catch (err) {
    await thread?.prepared.dispose();
    throw err;
  }
  // The GT pass starts before the GT is indexed: it needs only which records are evaluated.
  const records = gtRecordsOf(ds, evaluatedRecords(ds));
  let extras = startGtExtras(records, gtExtrasOptions(opts, early), thread);
  let gt!: GtIndex;
  let read: ReadDetectionsResult;
  const evaluations: EvalResult[] = [];
  try {
    gt = await gtIndexFromDataset(ds);
    opts.signal?.throwIfAborted();
    read = await readPreds(predsPath, gt, wanted !== 'bbox', false, opts);
    const types: IouType[] = wanted === 'auto' ? (read.masks.withSegmentation > 0 ? ['bbox', 'segm'] : ['bbox']) : [wanted];
    if (needsAllMaskAreas(read)) read = await readPreds(predsPath, gt, types.includes('segm'), true, opts);
    if (types.includes('segm') && !early) extras = startGtExtras(records, gtExtrasOptions(opts, true));
    const phase = new BytePhase(opts.progress, types.includes('segm') ? 'drawing the GT masks' : 'reading the GT\'s "ignore" flags');
    phase.onProgress(0, 1);
    if (types.includes('segm')) boxMasks(read.columns, read.masks.store);
    const prepared = prepareDetections(gt, read.columns); // (needs no GT extras: made while the GT thread still draws)
    await extras.help(); // this thread draws what the GT thread has not taken yet
    attachExtras(gt, await extras.result());
    phase.end();
    for (const iouType of types) evaluations.push(await evaluateDetections(gt, read.columns, { ...scoringOptions(opts), iouType, prepared, ...(extras.partner ? { partner: extras.partner } : {}) }));
  } catch (err) {
    if (err instanceof BadMaskError) throw await badMaskError(predsPath, read!, err);
    throw err;
  } finally {
    await extras.stop(); // (a thread that scored its share has ended already)
  }
  const result = summary(ds, gt, read, evaluations);
  result.notes = evaluationNotes(result, wanted, { gt: (await extras.result()).quirks, detections: read.masks.quirks });
  return result;
}

function gtExtrasOptions(opts: EvaluateFilesOptions, masks: boolean): GtExtrasOptions & { anySize: boolean } {
  return { masks, anySize: opts.gtThread === 'always', ...(opts.signal ? { signal: opts.signal } : {}) };
}

function summary(ds: Dataset, gt: GtIndex, read: ReadDetectionsResult, evaluations: EvalResult[]): EvaluateFilesResult {
  const data = read.columns.data();
  let imagesWithDetections = 0;
  const seen = new Uint8Array(gt.numImages);
  for (let i = 0; i < data.count; i++) {
    const img = data.image[i]!;
    if (seen[img]) continue;
    seen[img] = 1; // (a flag: a count in 8 bits wrapped at 256 detections, and counted the image again)
    imagesWithDetections++;
  }
  return {
    evaluations,
    gt: {
      images: ds.images.count,
      annotations: ds.annotations.count,
      evaluatedAnnotations: gt.gtCount,
      categories: ds.categories.count,
      format: ds.source.format,
      tiersDerived: ds.source.tiersDerived,
    },
    detections: read.count,
    detectionsWithMasks: read.masks.withSegmentation,
    imagesWithDetections,
    notes: [],
  };
}

async function loadGt(gtPath: string, opts: EvaluateFilesOptions): Promise<Dataset> {
  const phase = new BytePhase(opts.progress, `reading ${opts.gtLabel ?? basename(gtPath)}`);
  const { dataset } = await loadDataset(gtPath, { ...(opts.signal ? { signal: opts.signal } : {}), allowNegativeArea: true, onProgress: phase.onProgress, windowBytes: EVAL_WINDOW_BYTES });
  phase.end();
  opts.signal?.throwIfAborted();
  return dataset;
}

async function readPreds(path: string, gt: GtIndex, store: boolean, areasOfAll: boolean, opts: EvaluateFilesOptions): Promise<ReadDetectionsResult> {
  const phase = new BytePhase(opts.progress, `reading ${opts.predsLabel ?? basename(path)}`);
  const r = await readDetections(path, gt, { masks: { store, areasOfAll }, ...(opts.signal ? { signal: opts.signal } : {}), onProgress: phase.onProgress, windowBytes: EVAL_WINDOW_BYTES });
  phase.end();
  return r;
}

/**
 * Whether the areas need the mask area of detections whose masks were not measured: when the
 * API's first result has no bbox, every area is the mask's (areas.ts), and masks are measured
 * when read only where there is no bbox. Rare: then the file is read again, measuring them all.
 */
function needsAllMaskAreas(read: ReadDetectionsResult): boolean {
  const d = read.columns.data();
  const first = apiFirstDetection(d);
  if (first < 0 || d.flags[first]! & HAS_BOX) return false;
  for (let i = 0; i < d.count; i++) if (d.flags[i]! & HAS_SEGMENTATION && Number.isNaN(d.maskArea[i]!)) return true;
  return false;
}

/** 1 for each annotation record the evaluation keeps. */
function evaluatedRecords(ds: Dataset): Uint8Array {
  const { count, area } = ds.annotations;
  const wanted = new Uint8Array(count);
  for (let k = 0; k < count; k++) wanted[k] = isEvaluatedArea(area[k]!) ? 1 : 0;
  return wanted;
}

function attachExtras(gt: GtIndex, extras: GtExtras): void {
  for (let i = 0; i < gt.gtCount; i++) gt.gtIgnore[i] = extras.ignore[gt.gtRecord[i]!]!;
  if (extras.masks) {
    const index = new Int32Array(gt.gtCount);
    for (let i = 0; i < gt.gtCount; i++) index[i] = extras.masks.ofRecord[gt.gtRecord[i]!]!;
    gt.masks = { store: extras.masks.store, index };
  }
}

function scoringOptions(opts: EvaluateFilesOptions): { signal?: AbortSignal; progress?: EvalProgress } {
  return { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.progress ? { progress: opts.progress } : {}) };
}

/** One byte-counted progress phase, started on its first report. */
class BytePhase {
  private started = false;
  constructor(
    private readonly progress: EvalProgress | undefined,
    private readonly label: string,
  ) {}

  readonly onProgress = (read: number, total: number): void => {
    if (!this.started) {
      this.progress?.start(this.label, total, 'bytes');
      this.started = true;
    }
    this.progress?.update(read);
  };

  end(): void {
    if (this.started) this.progress?.done();
  }
}

/** A mask found bad when decoded, located in the detections file (rows are detections in file order: none was refused). */
async function badMaskError(path: string, read: ReadDetectionsResult, err: BadMaskError): Promise<DiagnosticError> {
  const offset = read.columns.data().offset[err.row]!;
  return new DiagnosticError([await diagnosticAt(path, offset, `detection #${err.row}: "segmentation": ${err.message}`)]);
}
