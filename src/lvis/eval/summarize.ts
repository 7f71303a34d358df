/**
 * LVISEval.summarize: each metric is the mean of the API's precision (or recall) entries that
 * are not -1. Every category with GT in an area range has all its entries, so that mean is
 * the mean over those categories of the per-category means computed here; categories (or
 * area ranges, or tiers) with nothing to average give -1, as in the API.
 */
import type { CategoryScores } from './accumulate.js';
import { IOU_50, IOU_75, NUM_IOU, type MetricName } from './params.js';

const ALL = 0;
const SMALL = 1;
const MEDIUM = 2;
const LARGE = 3;
/** Tier indices into FREQUENCIES ('r', 'c', 'f'). */
const RARE = 0;
const COMMON = 1;
const FREQUENT = 2;

export function summarize(scores: readonly CategoryScores[], tier: Uint8Array): Record<MetricName, number> {
  const ap = (a: number, onlyTier?: number) => meanOf(scores, (s, c) => (onlyTier === undefined || tier[c] === onlyTier ? s.ap[a]! : -1));
  const apAt = (t: number) => meanOf(scores, (s) => s.apAt[ALL * NUM_IOU + t]!);
  const ar = (a: number) => meanOf(scores, (s) => s.ar[a]!);
  return {
    AP: ap(ALL),
    AP50: apAt(IOU_50),
    AP75: apAt(IOU_75),
    APs: ap(SMALL),
    APm: ap(MEDIUM),
    APl: ap(LARGE),
    APr: ap(ALL, RARE),
    APc: ap(ALL, COMMON),
    APf: ap(ALL, FREQUENT),
    'AR@300': ar(ALL),
    'ARs@300': ar(SMALL),
    'ARm@300': ar(MEDIUM),
    'ARl@300': ar(LARGE),
  };
}

/** Mean of the values > -1; -1 when there are none (the API's `len(s[s > -1]) == 0` case). */
function meanOf(scores: readonly CategoryScores[], value: (s: CategoryScores, c: number) => number): number {
  let sum = 0;
  let count = 0;
  scores.forEach((s, c) => {
    const v = value(s, c);
    if (v > -1) {
      sum += v;
      count++;
    }
  });
  return count === 0 ? -1 : sum / count;
}
