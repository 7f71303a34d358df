/**
 * Scoring category by category (match.ts, then accumulate.ts), in this thread or in two at
 * once: the categories are taken one at a time from a shared counter, largest first, by every
 * thread that scores (evaluate.ts here; for mask AP, the GT thread too: gt-extras-task.ts), and
 * each category's results are written to its place in shared columns. With two cores, mask AP's
 * scoring (~0.65 s on 3,000 images) is then about halved; the numbers are the same whichever
 * thread scores a category (they depend on that category alone).
 */
import { accumulateCategory, AccumulateScratch, type CategoryScores } from './accumulate.js';
import { MatchScratch, matchCategory, type IouSource, type ScoringDets, type ScoringGt, type ScoringSelection } from './match.js';
import { AREA_RANGES, NUM_AREAS, NUM_IOU } from './params.js';

/** Values per category in ScoreBoard.values: ap and ar per area range, apAt per (area range, threshold). */
const VALUES = NUM_AREAS * (2 + NUM_IOU);

/** Which categories are taken, and every category's results (in shared memory when two threads score). */
export interface ScoreBoard {
  /** [0]: how many categories of claimOrder have been taken. */
  next: Int32Array;
  /** Category indices, most detections first (the big ones are not left for last). */
  claimOrder: Int32Array;
  numGt: Int32Array;
  values: Float64Array;
}

export function newScoreBoard(sel: ScoringSelection, numCategories: number, shared: boolean): ScoreBoard {
  const int32 = (n: number) => (shared ? new Int32Array(new SharedArrayBuffer(4 * n)) : new Int32Array(n));
  const claimOrder = int32(numCategories);
  const size = (c: number) => sel.catStart[c + 1]! - sel.catStart[c]!;
  const byIndex = Array.from({ length: numCategories }, (_, c) => c).sort((a, b) => size(b) - size(a) || a - b);
  claimOrder.set(byIndex);
  const values = shared ? new Float64Array(new SharedArrayBuffer(8 * VALUES * numCategories)) : new Float64Array(VALUES * numCategories);
  values.fill(-1); // the API's -1: no value (an area range without GT)
  return { next: int32(1), claimOrder, numGt: int32(NUM_AREAS * numCategories), values };
}

/** The next category to score, or -1 when all are taken. */
export function claimCategory(board: ScoreBoard): number {
  const k = Atomics.add(board.next, 0, 1);
  return k < board.claimOrder.length ? board.claimOrder[k]! : -1;
}

/** Category c's results: views of the board's columns. */
export function scoresOf(board: ScoreBoard, c: number): CategoryScores {
  const v = c * VALUES;
  return {
    numGt: board.numGt.subarray(NUM_AREAS * c, NUM_AREAS * (c + 1)),
    ap: board.values.subarray(v, v + NUM_AREAS),
    ar: board.values.subarray(v + NUM_AREAS, v + 2 * NUM_AREAS),
    apAt: board.values.subarray(v + 2 * NUM_AREAS, v + VALUES),
  };
}

/** Scores categories one at a time, with buffers reused across them. */
export class CategoryScorer {
  private readonly status: Uint8Array;
  private readonly rankBuf: Int32Array;
  private readonly matchScratch = new MatchScratch();
  private readonly accScratch = new AccumulateScratch();

  constructor(
    private readonly gt: ScoringGt,
    private readonly dets: ScoringDets,
    private readonly sel: ScoringSelection,
    private readonly ious: IouSource,
  ) {
    let maxN = 0;
    for (let c = 0; c < gt.numCategories; c++) maxN = Math.max(maxN, sel.catStart[c + 1]! - sel.catStart[c]!);
    this.status = new Uint8Array(NUM_AREAS * NUM_IOU * maxN);
    this.rankBuf = new Int32Array(maxN);
  }

  /** Fills `out` (numGt zeroed, values -1) for category c. */
  score(c: number, out: CategoryScores): void {
    const { gt, dets, sel } = this;
    countGt(gt, c, out.numGt);
    const n = sel.catStart[c + 1]! - sel.catStart[c]!;
    matchCategory(gt, dets, sel, c, this.status, this.matchScratch, this.ious);
    const rank = rankByScore(dets.score, sel.order, sel.catStart[c]!, n, this.rankBuf);
    accumulateCategory(this.status, n, rank, out, this.accScratch);
  }
}

/** Non-ignored GT of category c per area range (inclusive bounds on the `area` field; `ignore` GT in none). */
function countGt(gt: ScoringGt, c: number, out: Int32Array): void {
  for (let k = gt.catGtStart[c]!; k < gt.catGtStart[c + 1]!; k++) {
    if (gt.gtIgnore[k]) continue;
    const area = gt.gtArea[k]!;
    for (let a = 0; a < NUM_AREAS; a++) {
      if (!(area < AREA_RANGES[a]!.lo || area > AREA_RANGES[a]!.hi)) out[a]!++;
    }
  }
}

/**
 * Positions 0..n-1 of a category's run by score descending, ties by position: the run is
 * image-ascending, so this is the API's stable sort of its image-ascending concatenation.
 */
function rankByScore(score: Float64Array, order: Int32Array, start: number, n: number, buf: Int32Array): Int32Array {
  const rank = buf.subarray(0, n);
  for (let p = 0; p < n; p++) rank[p] = p;
  return rank.sort((p, q) => score[order[start + q]!]! - score[order[start + p]!]! || p - q);
}
