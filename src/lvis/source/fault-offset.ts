/**
 * The true offset, in the text, of the damage in a compressed input: how many bytes of text the
 * longest prefix of the input decodes to before zlib reports the error.
 *
 * The reader feeds zlib 1 MiB pieces and knows the text of every piece that decoded, so it knows
 * the piece where the error is. zlib's state cannot be rewound, so this replays the input from
 * its start in new decompressors: up to the failing piece in large pieces (fast), then through
 * it in ever smaller ones (4 KiB, 64 B, 1 B), each replay narrowing where the error is. Three
 * more passes over the input, made only when an error is reported (a few seconds on a 1 GB file):
 * a 1-byte write costs ~64 µs on this machine, so 1-byte pieces through a whole MiB would take
 * a minute.
 */
import type { FileHandle } from 'node:fs/promises';
import { PieceInflater } from './piece-inflater.js';
import { readPlan, type InputPlan } from './input-plan.js';

const BIG = 1 << 20;
const STEPS = [4096, 64, 1];

interface Narrowed {
  /** The input up to here decodes without error... */
  good: number;
  /** ...to this many bytes of text. */
  text: number;
}

/** Replays [0, hi): large pieces up to `lo`, then `step`-byte pieces until zlib fails. */
async function replay(fh: FileHandle, plan: InputPlan, lo: number, hi: number, step: number): Promise<Narrowed> {
  const z = new PieceInflater();
  let text = 0;
  const feed = async (piece: Buffer) => {
    for (const b of await z.write(piece)) text += b.length;
  };
  try {
    for (let v = 0; v < lo; v += BIG) await feed(await readPlan(fh, plan, v, Math.min(lo, v + BIG)));
    let good = lo;
    for (let v = lo; v < hi; v += step) {
      const piece = await readPlan(fh, plan, v, Math.min(hi, v + step));
      try {
        await feed(piece);
      } catch {
        return { good, text };
      }
      good = v + piece.length;
    }
    return { good, text };
  } finally {
    z.destroy();
  }
}

/**
 * Text bytes before the fault, given that the input [0, lo) decoded to `text` bytes and the
 * piece [lo, hi) failed.
 */
export async function textBeforeFault(fh: FileHandle, plan: InputPlan, lo: number, hi: number, text: number): Promise<number> {
  let at: Narrowed = { good: lo, text };
  for (const step of STEPS) {
    if (hi - at.good <= step && step !== 1) continue;
    at = await replay(fh, plan, at.good, hi, step);
    hi = Math.min(hi, at.good + step);
  }
  return at.text;
}
