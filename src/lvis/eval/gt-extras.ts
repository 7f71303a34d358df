/**
 * What mask evaluation needs of the GT beyond the `load` step's columns, read in one more
 * streaming pass over the GT file, annotation by annotation through the byte ranges `load`
 * recorded: each evaluated annotation's `segmentation` as a run-length mask (segmentation-rle.ts,
 * LVIS.ann_to_rle), and its `ignore` flag, which LVISEval honours for boxes too.
 *
 * Only the members `segmentation` and `ignore` of a record are parsed; every other one is
 * skipped. Annotations the evaluation leaves out (area not positive) are not read.
 */
import { DiagnosticError, type Diagnostic } from '../../base/diagnostic.js';
import { sharedCopy } from '../../base/shared-copy.js';
import { displayPath } from '../../base/display-path.js';
import type { Dataset } from '../dataset/dataset.js';
import { ByteWindow } from '../json/byte-window.js';
import { skipElement } from '../json/fast-skip.js';
import { JsonSyntaxError, describeByte, skipString, skipValue, skipWs } from '../json/grammar.js';
import { diagnosticAt, diagnosticWithPosition, locateOffsets } from '../json/locate.js';
import { bytesEqual, readNumber, readString } from '../json/read-values.js';
import { CountsStore } from '../mask/counts-store.js';
import { MAX_REPORTED } from './problems.js';
import { parseSegmentation, segmentationEnd, type SegmentationJson } from './segmentation-json.js';
import { newQuirks, segmentationToRle, type SegmentationMask, type SegmentationQuirks } from './segmentation-rle.js';

export interface GtExtrasOptions {
  /** Read the masks too (segm); else only `ignore`. */
  masks: boolean;
  /** Two threads reading the records, each taking the next CLAIM_RECORDS from `share.next`. */
  share?: GtExtrasShare;
  signal?: AbortSignal;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** What the pass needs of the loaded GT: per annotation record, where it is and its image's size. */
export interface GtRecords {
  path: string;
  count: number;
  /** 1 for the records to read (the evaluated ones). */
  wanted: Uint8Array;
  byteStart: Float64Array;
  byteEnd: Float64Array;
  id: Float64Array;
  imageId: Float64Array;
  imageHeight: Float64Array;
  imageWidth: Float64Array;
}

export interface GtExtras {
  /** Per annotation record: 1 when its `ignore` is true in Python's sense. */
  ignore: Uint8Array;
  /** With `masks`: the masks, and each record's index in the store (-1: not read). */
  masks?: { store: CountsStore; ofRecord: Int32Array };
  quirks: SegmentationQuirks;
}

interface Problem {
  record: number;
  offset: number;
  message: string;
}

/** The records of `ds` with wanted[k] = 1, for readGtExtras. */
export function gtRecordsOf(ds: Dataset, wanted: Uint8Array): GtRecords {
  const an = ds.annotations;
  const n = an.count;
  // In shared memory: they go to the GT thread (gt-extras-task.ts), and postMessage serializes plain arrays slowly.
  const column = () => new Float64Array(new SharedArrayBuffer(8 * Math.max(1, n)));
  const imageHeight = column();
  const imageWidth = column();
  const imageId = column();
  for (let k = 0; k < n; k++) {
    const img = an.image[k]!;
    imageHeight[k] = ds.images.height[img]!;
    imageWidth[k] = ds.images.width[img]!;
    imageId[k] = ds.images.id[img]!;
  }
  return { path: ds.source.path, count: n, wanted: sharedCopy(wanted), byteStart: sharedCopy(an.byteStart, n), byteEnd: sharedCopy(an.byteEnd, n), id: sharedCopy(an.id, n), imageId, imageHeight, imageWidth };
}

/**
 * The records read by two threads at once (gt-extras-task.ts), each into its own mask store:
 * the flags and the masks' places in shared columns, a mask of the `second` thread's store as
 * -2 - its index (joined by joinGtExtras).
 */
export interface GtExtrasShare {
  /** [0]: the first record not yet taken. */
  next: Int32Array;
  ignore: Uint8Array;
  ofRecord: Int32Array;
  second: boolean;
}

/** The read window: small, as fresh memory costs more to touch than the file to read (evaluate-files.ts: EVAL_WINDOW_BYTES). */
const WINDOW_BYTES = 1 << 20;

/** Records taken at a time from GtExtrasShare.next (~10 ms of drawing). */
const CLAIM_RECORDS = 256;

export function newGtExtrasShare(count: number): Omit<GtExtrasShare, 'second'> {
  const ofRecord = new Int32Array(new SharedArrayBuffer(4 * count)).fill(-1);
  return { next: new Int32Array(new SharedArrayBuffer(4)), ignore: new Uint8Array(new SharedArrayBuffer(count)), ofRecord };
}

/** The GtExtras of both threads of a share as one (their stores joined, the second's after the first's). */
export function joinGtExtras(first: GtExtras, second: GtExtras): GtExtras {
  const quirks = { boxLists: first.quirks.boxLists + second.quirks.boxLists, oddRings: first.quirks.oddRings + second.quirks.oddRings };
  if (!first.masks || !second.masks) return { ignore: first.ignore, quirks };
  const offset = first.masks.store.count;
  const ofRecord = first.masks.ofRecord;
  for (let k = 0; k < ofRecord.length; k++) if (ofRecord[k]! <= -2) ofRecord[k] = offset - 2 - ofRecord[k]!;
  return { ignore: first.ignore, quirks, masks: { store: CountsStore.join(first.masks.store, second.masks.store), ofRecord } };
}

/** Reads `ignore` (and the masks) of the wanted records; throws DiagnosticError listing bad ones. */
export async function readGtExtras(r: GtRecords, opts: GtExtrasOptions): Promise<GtExtras> {
  const share = opts.share;
  const extras: GtExtras = { ignore: share?.ignore ?? new Uint8Array(r.count), quirks: newQuirks() };
  const masks = opts.masks ? { store: new CountsStore(), ofRecord: share?.ofRecord ?? new Int32Array(r.count).fill(-1) } : undefined;
  if (masks) extras.masks = masks;
  const problems: Problem[] = [];
  let problemCount = 0;
  const w = await ByteWindow.open(r.path, WINDOW_BYTES);
  let k = 0;
  // Without masks only `ignore` is wanted, which LVIS files do not have: a window whose bytes
  // hold no "ignore" (nor a backslash, which could spell one) has none, and its records are not walked.
  let plainBase = -1;
  let claimEnd = share ? 0 : r.count;
  try {
    for (; k < r.count; k++) {
      if (k === claimEnd) {
        // (only with a share) the next records not yet taken by the other thread
        k = Atomics.add(share!.next, 0, CLAIM_RECORDS);
        if (k >= r.count) break;
        claimEnd = Math.min(r.count, k + CLAIM_RECORDS);
      }
      if (!r.wanted[k]) continue;
      const start = r.byteStart[k]!;
      if (w.base + w.len < r.byteEnd[k]!) await ensureInWindow(w, start, r.byteEnd[k]!, opts); // (no await per record)
      if (!masks && plainBase !== w.base && noIgnoreFrom(w.buf, start - w.base, w.len)) plainBase = w.base;
      if (!masks && plainBase === w.base) continue;
      const record = readRecord(w.buf, start - w.base, r.byteEnd[k]! - w.base, opts.masks);
      extras.ignore[k] = record.ignore ? 1 : 0;
      if (!masks) continue;
      const mask = recordMask(r, k, record, extras.quirks);
      if (typeof mask !== 'string') masks.ofRecord[k] = share?.second ? -2 - masks.store.add(mask.counts) : masks.store.add(mask.counts);
      else if (problemCount++ < MAX_REPORTED) problems.push({ record: k, offset: w.base + record.segmentationAt, message: mask });
    }
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new DiagnosticError([await diagnosticAt(r.path, w.base + err.pos, `${annotationName(r, k)}: ${err.message}`)]);
    throw err;
  } finally {
    await w.close();
  }
  if (problemCount > 0) throw await problemsError(r, problems, problemCount);
  return extras;
}

const IGNORE = Buffer.from('ignore');

/** Whether b[from, end) holds neither the word `ignore` nor a backslash. */
function noIgnoreFrom(b: Buffer, from: number, end: number): boolean {
  const i = b.indexOf(IGNORE, from);
  const bs = b.indexOf(0x5c, from);
  return (i < 0 || i >= end) && (bs < 0 || bs >= end);
}

/** Refills the window until it holds the bytes [start, end) of the text. */
async function ensureInWindow(w: ByteWindow, start: number, end: number, opts: GtExtrasOptions): Promise<void> {
  while (w.base + w.len < end) {
    if (w.eof) throw new DiagnosticError([{ severity: 'error', message: `${displayPath(w.path)} ended before byte ${end}: the file changed while it was being read`, location: { file: displayPath(w.path) } }]);
    opts.signal?.throwIfAborted();
    await w.refill(Math.min(Math.max(start - w.base, 0), w.len));
    opts.onProgress?.(w.diskBytesRead, w.diskBytes);
  }
}

interface RecordExtras {
  ignore: boolean;
  segmentation: SegmentationJson | undefined;
  /** Window position of the segmentation value (or of the record, without one). */
  segmentationAt: number;
}

const KEY_SEGMENTATION = Buffer.from('"segmentation"');
const KEY_IGNORE = Buffer.from('"ignore"');

/** The members `ignore` and (with `masks`) `segmentation` of the record b[p, end). */
function readRecord(b: Buffer, p: number, end: number, masks: boolean): RecordExtras {
  const out: RecordExtras = { ignore: false, segmentation: undefined, segmentationAt: p };
  p = skipWs(b, p + 1, end);
  if (b[p] === 0x7d) return out;
  for (;;) {
    const keyEnd = skipString(b, p, end);
    const key = keyOf(b, p, keyEnd, end);
    p = skipWs(b, keyEnd, end);
    if (b[p] !== 0x3a) throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} after a key, expected ':'`);
    p = skipWs(b, p + 1, end);
    if (key === 'segmentation' && masks) {
      out.segmentationAt = p;
      out.segmentation = parseSegmentation(b, p, end);
      p = segmentationEnd;
    } else if (key === 'ignore') {
      out.ignore = truthyAt(b, p, end);
      p = skipValue(b, p, end);
    } else p = skipElement(b, p, end);
    p = skipWs(b, p, end);
    if (b[p] === 0x7d) return out;
    if (b[p] !== 0x2c) throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} after a member, expected ',' or '}'`);
    p = skipWs(b, p + 1, end);
  }
}

/** 'segmentation', 'ignore' or '' for the key b[p, keyEnd) (quotes included). */
function keyOf(b: Buffer, p: number, keyEnd: number, end: number): string {
  if (bytesEqual(b, p, keyEnd, KEY_SEGMENTATION)) return 'segmentation';
  if (bytesEqual(b, p, keyEnd, KEY_IGNORE)) return 'ignore';
  let escaped = false;
  for (let i = p + 1; i < keyEnd - 1 && !escaped; i++) escaped = b[i] === 0x5c;
  if (!escaped) return '';
  const key = readString(b, p, end); // an escaped key ("\u0069gnore"): decoded to compare
  return key === 'segmentation' || key === 'ignore' ? key : '';
}

/** Python's truth of the JSON value at p: false, null, 0, "", [] and {} are false. */
function truthyAt(b: Buffer, p: number, end: number): boolean {
  const c = b[p]!;
  if (c === 0x66 || c === 0x6e) return false;
  if (c === 0x74) return true;
  if (c === 0x22) return b[p + 1] !== 0x22;
  if (c === 0x5b || c === 0x7b) return b[skipWs(b, p + 1, end)] !== c + 2; // ']' and '}' follow '[' and '{'
  return readNumber(b, p, end) !== 0;
}

function recordMask(r: GtRecords, k: number, record: RecordExtras, quirks: SegmentationQuirks): SegmentationMask | string {
  if (!record.segmentation) return `has no "segmentation": mask AP (iou_type segm) needs the mask of every annotation`;
  const h = r.imageHeight[k]!;
  const w = r.imageWidth[k]!;
  if (!(Number.isInteger(h) && h >= 1 && Number.isInteger(w) && w >= 1)) {
    return `its image (id ${r.imageId[k]}) has no usable "height" and "width" (found ${h}, ${w}): a mask is drawn at the image's size`;
  }
  const mask = segmentationToRle(record.segmentation, h, w, quirks);
  return typeof mask === 'string' ? `"segmentation": ${mask}` : mask;
}

function annotationName(r: GtRecords, k: number): string {
  const id = r.id[k]!;
  return Number.isNaN(id) ? `annotation #${k}` : `annotation id=${id} (#${k})`;
}

async function problemsError(r: GtRecords, listed: Problem[], total: number): Promise<DiagnosticError> {
  const positions = await locateOffsets(r.path, listed.map((p) => p.offset));
  const diagnostics: Diagnostic[] = listed.map((p) => diagnosticWithPosition(r.path, p.offset, positions.get(p.offset)!, `${annotationName(r, p.record)}: ${p.message}`));
  if (total > listed.length) diagnostics.push({ severity: 'error', message: `… and ${total - listed.length} more annotation(s) with a bad "segmentation" (${total} in all)`, location: { file: displayPath(r.path) } });
  return new DiagnosticError(diagnostics);
}
