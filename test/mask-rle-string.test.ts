/**
 * pycocotools' compressed counts (src/lvis/mask/rle-string.ts) beyond what the goldens hold:
 * counts up to 2^32 - 1 (numbers of 7 characters, which leave the 32-bit fast loop for the
 * exact one), the same strings as they stand inside a JSON literal (`\\` for the backslash,
 * which the alphabet holds), and the strings neither decoder takes, with their messages.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countsProblem, rleFrJsonStringInto, rleFrString, rleToString } from '../src/lvis/mask/rle-string.js';

function lcg(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** Random counts: mostly small, some up to 2^32 - 1. */
function randomCounts(rnd: () => number): number[] {
  const n = Math.floor(rnd() * 12);
  return Array.from({ length: n }, () => (rnd() < 0.2 ? Math.floor(rnd() * 2 ** 32) : Math.floor(rnd() * 3000)));
}

const jsonEscaped = (s: Buffer) => Buffer.from(s.toString('latin1').replace(/\\/g, '\\\\'), 'latin1');

function decodeJson(s: Buffer): number[] | undefined {
  const out = new Uint32Array(s.length);
  const m = rleFrJsonStringInto(s, 0, s.length, out, 0);
  return m < 0 ? undefined : [...out.subarray(0, m)];
}

describe('compressed counts', () => {
  it('round-trips 3,000 random counts lists, plain and JSON-escaped', () => {
    const rnd = lcg(11);
    let long = 0;
    let escaped = 0;
    for (let i = 0; i < 3000; i++) {
      const counts = randomCounts(rnd);
      const s = rleToString(counts);
      if (counts.some((c) => c >= 2 ** 30)) long++;
      if (s.includes(0x5c)) escaped++;
      assert.deepEqual([...rleFrString(s, 0, s.length)!], counts, `case ${i}: ${s.toString('latin1')}`);
      assert.deepEqual(decodeJson(jsonEscaped(s)), counts, `case ${i} escaped`);
    }
    assert.ok(long > 100 && escaped > 100, `the cases reach both paths (${long} with 7-character numbers, ${escaped} with a backslash)`);
  });

  it('reads `\\/` as the slash JSON allows', () => {
    // '/' is not in the alphabet: an escaped one is read as '/', and refused as such.
    assert.equal(decodeJson(Buffer.from('0\\/')), undefined);
    assert.match(countsProblem, /has '\/' at character 1/);
  });

  it('refuses what rleToString never writes, saying what', () => {
    const cases: [string, RegExp][] = [
      ['0~', /has '~' at character 1; pycocotools writes only the characters '0' to 'o'/],
      ['0c', /ends in the middle of a number/],
      ['0oooooooo0', /has a number of more than 7 characters at character 1/],
    ];
    for (const [s, message] of cases) {
      assert.equal(rleFrString(Buffer.from(s), 0, s.length), undefined, s);
      assert.match(countsProblem, message, s);
      assert.equal(decodeJson(Buffer.from(s)), undefined, s);
      assert.match(countsProblem, message, `${s} (JSON)`);
    }
    assert.equal(decodeJson(Buffer.from('0\\u0030')), undefined);
    assert.match(countsProblem, /has the escape \\u/);
  });
});
