/**
 * Scanning a large plain file on two cores.
 *
 * One scan can only start where the previous record ended, so a file cannot simply be cut in
 * two. Instead we guess: near the middle of the file, find a byte sequence that looks like the
 * start of a record (`}, {"` with any whitespace) and check that a whole record parses from
 * there without a single problem. A worker thread scans from that guess to the end of the file,
 * while this thread scans from the start and stops when it reaches the guessed offset. If this
 * scan meets the guess exactly at a record boundary of the same array, the guess is proven
 * right and the two halves are joined; otherwise (a string that happened to look like a record
 * start, say) the worker is dropped and this scan simply reads on to the end.
 *
 * It pays only when the second thread runs beside the first (bench/load.ts measures `load` with
 * and without it; BENCHMARKS.md, "load"). With no idle core, or for compressed input (which can only
 * be read from its start), `load` scans in one thread.
 */
import { availableParallelism, cpus } from 'node:os';
import { open } from 'node:fs/promises';
import { startWorkerTask } from '../../base/worker-task.js';
import { JsonSyntaxError, NEED_MORE, skipWs } from '../json/grammar.js';
import { AnnotationColumns, ImageColumns, IdLists } from './columns.js';
import { parseAnnotation, parseImage, type RecordProblem } from './records.js';
import { AbsoluteSyntaxError, ProblemLog, scanFile, type Scan, type ScanOptions, type SplitArray } from './scan.js';

/** Files smaller than this are scanned in one thread (a worker costs ~50 ms to start). */
export const PARALLEL_MIN_BYTES = 64 << 20;

/**
 * Whether `load` should try the two-thread scan on a plain file of this size: large enough, and
 * a second core idle right now. The second thread costs CPU of its own (its start, its own JIT
 * warm-up, joining the halves: ~1 s on LVIS train), which only pays when it runs beside the
 * first, not instead of it: measured while other jobs held both cores, the split made the load
 * ~40% slower (BENCHMARKS.md, "load"). Idle time is sampled over 100 ms from the kernel's
 * per-core counters.
 */
export async function parallelWorthIt(size: number): Promise<boolean> {
  const cores = availableParallelism();
  if (size < PARALLEL_MIN_BYTES || cores < 2) return false;
  const idle = () => cpus().reduce((sum, c) => sum + c.times.idle, 0);
  const busy = () => cpus().reduce((sum, c) => sum + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
  const [i0, b0] = [idle(), busy()];
  await new Promise((resolve) => setTimeout(resolve, 100));
  const [i1, b1] = [idle(), busy()];
  const total = i1 - i0 + (b1 - b0);
  if (total <= 0) return false;
  // This thread is asleep while sampling, so a quiet machine shows all its cores idle.
  const idleCores = (cores * (i1 - i0)) / total;
  return idleCores >= Math.min(cores, 2) - 0.5;
}

// ---------------------------------------------------------------------------------------------
// Guessing a record boundary

const PROBE_BYTES = 4 << 20;
const MAX_CANDIDATES = 64;

function isWs(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * An offset near `near` where a record of `images` or `annotations` seems to start, or
 * undefined. A candidate is a '{' preceded by '}' and ',' and followed by '"' (whitespace
 * allowed), from which a whole image or annotation record parses with no problem at all.
 */
export async function findRecordBoundary(path: string, near: number): Promise<{ offset: number; array: SplitArray } | undefined> {
  const fh = await open(path, 'r');
  const buf = Buffer.allocUnsafe(PROBE_BYTES);
  let len: number;
  try {
    ({ bytesRead: len } = await fh.read(buf, 0, PROBE_BYTES, near));
  } finally {
    await fh.close();
  }
  const annotations = new AnnotationColumns();
  const images = new ImageColumns();
  const problems: RecordProblem[] = [];
  let tried = 0;
  for (let c = buf.indexOf(0x7b); c >= 0 && c < len && tried < MAX_CANDIDATES; c = buf.indexOf(0x7b, c + 1)) {
    let q = c - 1;
    while (q >= 0 && isWs(buf[q])) q--;
    if (buf[q] !== 0x2c) continue;
    q--;
    while (q >= 0 && isWs(buf[q])) q--;
    if (buf[q] !== 0x7d) continue;
    let r = c + 1;
    while (r < len && isWs(buf[r])) r++;
    if (buf[r] !== 0x22) continue;
    tried++;
    for (const array of ['annotations', 'images'] as const) {
      problems.length = 0;
      try {
        if (array === 'annotations') parseAnnotation(buf, c, len, near, annotations, 0, problems, false);
        else parseImage(buf, c, len, near, images, 0, problems, false);
        skipWs(buf, c, len);
      } catch (err) {
        if (err === NEED_MORE || err instanceof JsonSyntaxError) continue;
        throw err;
      }
      if (problems.length === 0) return { offset: near + c, array };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The worker's reply

/** A Scan as plain data for postMessage. */
export interface ScanMessage {
  encoding: Scan['encoding'];
  textBytes: number;
  images: Pick<ImageColumns, 'count' | 'id' | 'width' | 'height' | 'byteStart' | 'byteEnd'> & { neg: ListData; notExhaustive: ListData };
  annotations: Pick<AnnotationColumns, 'count' | 'id' | 'imageId' | 'categoryId' | 'bbox' | 'area' | 'iscrowd' | 'byteStart' | 'byteEnd'>;
  categories: Scan['categories'];
  categoryOffsets: number[];
  categoryRecords: number;
  extra: Scan['extra'];
  topLevelOrder: string[];
  problems: Pick<ProblemLog, 'kept' | 'total' | 'negativeArea' | 'negativeAreaTotal'>;
}
type ListData = Pick<IdLists, 'offsets' | 'values'>;

/** What the second thread sends back: its half of the scan, or the syntax error that ended it. */
export type SecondHalf = { scan: ScanMessage } | { syntax: { offset: number; message: string; shape: boolean } };

/** The job of the second thread (lvis/load/worker.ts). */
export interface SecondHalfJob {
  path: string;
  offset: number;
  array: SplitArray;
  maxErrors: number;
  windowBytes?: number | undefined;
}

/** The scan as plain data, and the buffers to transfer with it. */
export function scanToMessage(scan: Scan): { message: ScanMessage; transfer: ArrayBuffer[] } {
  const im = scan.images;
  const an = scan.annotations;
  const message: ScanMessage = {
    encoding: scan.encoding,
    textBytes: scan.textBytes,
    images: {
      count: im.count,
      id: im.id,
      width: im.width,
      height: im.height,
      byteStart: im.byteStart,
      byteEnd: im.byteEnd,
      neg: { offsets: im.neg.offsets, values: im.neg.values },
      notExhaustive: { offsets: im.notExhaustive.offsets, values: im.notExhaustive.values },
    },
    annotations: {
      count: an.count,
      id: an.id,
      imageId: an.imageId,
      categoryId: an.categoryId,
      bbox: an.bbox,
      area: an.area,
      iscrowd: an.iscrowd,
      byteStart: an.byteStart,
      byteEnd: an.byteEnd,
    },
    categories: scan.categories,
    categoryOffsets: scan.categoryOffsets,
    categoryRecords: scan.categoryRecords,
    extra: scan.extra,
    topLevelOrder: scan.topLevelOrder,
    problems: { kept: scan.problems.kept, total: scan.problems.total, negativeArea: scan.problems.negativeArea, negativeAreaTotal: scan.problems.negativeAreaTotal },
  };
  const arrays = [im.id, im.width, im.height, im.byteStart, im.byteEnd, im.neg.offsets, im.neg.values, im.notExhaustive.offsets, im.notExhaustive.values, an.id, an.imageId, an.categoryId, an.bbox, an.area, an.iscrowd, an.byteStart, an.byteEnd];
  const transfer = [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
  return { message, transfer };
}

// ---------------------------------------------------------------------------------------------
// Joining the halves

type Column = Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>;

/**
 * Concatenates the first `na` values of holder a's column `key` and the first `nb` of b's, and
 * empties both holders' columns, so that each half's memory can be reclaimed as soon as its
 * column is copied: the join never holds more than one column twice (peak RSS).
 */
function join<K extends string>(a: Record<K, Column>, na: number, b: Record<K, Column>, nb: number, key: K, per = 1): Column {
  const x = a[key];
  const y = b[key];
  const out = new (x.constructor as new (n: number) => Column)(per * (na + nb));
  out.set(x.subarray(0, per * na));
  out.set(y.subarray(0, per * nb), per * na);
  a[key] = new (x.constructor as new (n: number) => Column)(0);
  b[key] = new (y.constructor as new (n: number) => Column)(0);
  return out;
}

function joinLists(a: ListData, na: number, b: ListData, nb: number): ListData {
  const va = a.offsets[na]!;
  const offsets = new Int32Array(na + nb + 1);
  offsets.set(a.offsets.subarray(0, na + 1));
  for (let i = 1; i <= nb; i++) offsets[na + i] = va + b.offsets[i]!;
  const values = join(a as unknown as Record<'values', Column>, va, b as unknown as Record<'values', Column>, b.offsets[nb]!, 'values') as Float64Array<ArrayBuffer>;
  return { offsets, values };
}

/**
 * The scan of the whole file from its two halves (which it empties); undefined if they disagree
 * (a top-level member in both), in which case the caller scans again in one thread to report it.
 */
export function joinScans(first: Scan, second: ScanMessage, limit: number): Scan | undefined {
  if (second.topLevelOrder.some((k) => first.topLevelOrder.includes(k))) return undefined;
  type Cols = Record<string, Column>;
  const A = first.images as unknown as Cols;
  const B = second.images as unknown as Cols;
  const na = first.images.count;
  const nb = second.images.count;
  const images = new ImageColumns();
  images.count = na + nb;
  images.id = join(A, na, B, nb, 'id') as Float64Array<ArrayBuffer>;
  images.width = join(A, na, B, nb, 'width') as Float64Array<ArrayBuffer>;
  images.height = join(A, na, B, nb, 'height') as Float64Array<ArrayBuffer>;
  images.byteStart = join(A, na, B, nb, 'byteStart') as Float64Array<ArrayBuffer>;
  images.byteEnd = join(A, na, B, nb, 'byteEnd') as Float64Array<ArrayBuffer>;
  Object.assign(images.neg, joinLists(first.images.neg, na, second.images.neg, nb));
  Object.assign(images.notExhaustive, joinLists(first.images.notExhaustive, na, second.images.notExhaustive, nb));
  const a = first.annotations as unknown as Cols;
  const b = second.annotations as unknown as Cols;
  const ma = first.annotations.count;
  const mb = second.annotations.count;
  const annotations = new AnnotationColumns();
  annotations.count = ma + mb;
  annotations.id = join(a, ma, b, mb, 'id') as Float64Array<ArrayBuffer>;
  annotations.imageId = join(a, ma, b, mb, 'imageId') as Float64Array<ArrayBuffer>;
  annotations.categoryId = join(a, ma, b, mb, 'categoryId') as Float64Array<ArrayBuffer>;
  annotations.bbox = join(a, ma, b, mb, 'bbox', 4) as Float64Array<ArrayBuffer>;
  annotations.area = join(a, ma, b, mb, 'area') as Float64Array<ArrayBuffer>;
  annotations.iscrowd = join(a, ma, b, mb, 'iscrowd') as Uint8Array<ArrayBuffer>;
  annotations.byteStart = join(a, ma, b, mb, 'byteStart') as Float64Array<ArrayBuffer>;
  annotations.byteEnd = join(a, ma, b, mb, 'byteEnd') as Float64Array<ArrayBuffer>;
  const problems = new ProblemLog(limit);
  problems.addAll(first.problems.kept);
  problems.addAll(first.problems.negativeArea);
  // The second half numbered its records from 0 within the array it started in.
  const shift = { image: na, annotation: ma, category: 0 };
  for (const p of [...second.problems.kept, ...second.problems.negativeArea]) problems.add({ ...p, index: p.index + shift[p.kind] });
  problems.total = first.problems.total + second.problems.total;
  problems.negativeAreaTotal = first.problems.negativeAreaTotal + second.problems.negativeAreaTotal;
  return {
    encoding: 'plain',
    textBytes: second.textBytes,
    images,
    annotations,
    categories: [...first.categories, ...second.categories],
    categoryOffsets: [...first.categoryOffsets, ...second.categoryOffsets],
    categoryRecords: first.categoryRecords + second.categoryRecords,
    extra: [...first.extra, ...second.extra],
    // The split array's key was read by the first half; the second started inside it.
    topLevelOrder: [...first.topLevelOrder, ...second.topLevelOrder],
    problems,
    stopped: false,
    threads: 2,
  };
}

// ---------------------------------------------------------------------------------------------
// The two-thread scan

/**
 * Scans `path` (plain, `size` bytes) with a worker thread taking the second half, when a record
 * boundary can be found near the middle. Returns undefined when the caller should scan in one
 * thread instead. Syntax errors come out as AbsoluteSyntaxError, as from scanFile.
 */
export async function scanInTwo(path: string, size: number, opts: ScanOptions): Promise<Scan | undefined> {
  const split = await findRecordBoundary(path, Math.floor(size / 2));
  if (!split) return undefined;
  const job: SecondHalfJob = { path, offset: split.offset, array: split.array, maxErrors: opts.maxErrors ?? 20, windowBytes: opts.windowBytes };
  let firstRead = 0;
  let secondRead = split.offset;
  const report = () => opts.onProgress?.(firstRead + (secondRead - split.offset), size);
  const worker = startWorkerTask<SecondHalf, number>(new URL('./worker.js', import.meta.url), job, {
    onNote: (read) => {
      secondRead = read;
      report();
    },
  });
  const second = worker.result.then((half) => {
    if ('syntax' in half) throw new AbsoluteSyntaxError(half.syntax.offset, half.syntax.message, half.syntax.shape);
    return half.scan;
  });
  second.catch(() => {}); // handled below, or dropped with the worker
  const abort = () => void worker.terminate();
  opts.signal?.addEventListener('abort', abort);
  try {
    const first = await scanFile(
      path,
      false,
      {
        ...opts,
        onProgress(read) {
          firstRead = read;
          report();
        },
      },
      { stopAt: split },
    );
    if (!first.stopped) return first; // the guess was wrong: the first scan read everything
    const joined = joinScans(first, await second, opts.maxErrors ?? 20);
    secondRead = size;
    report();
    return joined;
  } finally {
    opts.signal?.removeEventListener('abort', abort);
    await worker.terminate();
  }
}
