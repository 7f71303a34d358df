/**
 * pycocotools' compressed RLE counts (maskApi.c rleToString / rleFrString): "similar to LEB128
 * but using 6 bits/char and ascii chars 48-111". Each count is written as its difference from
 * the count two before it (from the fourth count on), 5 bits per character, low bits first,
 * with bit 0x20 meaning "more characters follow" and bit 0x10 of the last one the sign.
 *
 * detectron2 and mmdetection write detection masks in this form (`{"size": [h, w],
 * "counts": "…"}`); LVIS and COCO GT may hold it too.
 */

/** The compressed string of `counts` (rleToString), as the bytes of ASCII 48..111. */
export function rleToString(counts: ArrayLike<number>): Buffer {
  const m = counts.length;
  const out = Buffer.allocUnsafe(m * 7);
  let p = 0;
  for (let i = 0; i < m; i++) {
    let x = counts[i]!;
    if (i > 2) x -= counts[i - 2]!;
    let more = true;
    while (more) {
      // x & 0x1f is the low 5 bits of the two's complement of x, for any integer below 2^53.
      let c = x & 0x1f;
      x = Math.floor(x / 32); // C's x >>= 5 on a signed long: an arithmetic shift
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out[p++] = c + 48;
    }
  }
  return out.subarray(0, p);
}

/** Characters per number at most: 7 × 5 bits hold a sign and 32 bits. */
const MAX_CHARS = 7;
const POW32 = Array.from({ length: MAX_CHARS + 1 }, (_, k) => 2 ** (5 * k));

/** Why rleFrString refused a string (set when it returns undefined). */
export let countsProblem = '';

/**
 * The counts of the compressed string in s[start, end) (rleFrString), or undefined when it is
 * not one that rleToString writes (countsProblem says why): see rleFrStringInto.
 */
export function rleFrString(s: Uint8Array, start: number, end: number): Uint32Array | undefined {
  const out = new Uint32Array(end - start);
  const m = rleFrStringInto(s, start, end, out, 0);
  return m < 0 ? undefined : out.subarray(0, m);
}

/**
 * Decodes the compressed string in s[start, end) into out[at ..] (which has room for end - start
 * counts: one character or more per count); returns the number of counts, or -1 when the string
 * is not one that rleToString writes (countsProblem says why): a character outside ASCII 48..111
 * (pycocotools would decode garbage), or a last number cut short (pycocotools would read past
 * the string's end). Values wrap to 32 bits as C's `(uint) x` does.
 *
 * The hot path of mask AP (every detection mask is decoded twice): numbers of up to 6
 * characters (30 bits: every count of an image below 2^29 pixels) are put together with 32-bit
 * integer operations, as in C; a longer one sends the whole string to the exact, slower loop.
 */
export function rleFrStringInto(s: Uint8Array, start: number, end: number, out: Uint32Array, at: number): number {
  const m = decodeFast(s, start, end, out, at, false);
  return m >= 0 ? m : rleFrStringExact(s, start, end, out, at);
}

/**
 * The fast loop of rleFrStringInto, and of rleFrJsonStringInto when `json` (`\\` and `\/` read
 * as the character escaped); -1 for anything it does not take (a 7-character number, a
 * character outside the alphabet, any other escape, a cut-short end): the caller's exact path
 * then decodes it or says what is wrong. One loop for both: the `json` test costs nothing
 * measurable.
 */
function decodeFast(s: Uint8Array, start: number, end: number, out: Uint32Array, at: number, json: boolean): number {
  let m = 0;
  let p = start;
  while (p < end) {
    let x = 0;
    let k = 0;
    let c = 0;
    do {
      if (p >= end || k === 6) return -1;
      let ch = s[p++]!;
      if (json && ch === 0x5c) ch = s[p] === 0x5c || s[p] === 0x2f ? s[p++]! : 0;
      c = ch - 48;
      if (c < 0 || c > 63) return -1;
      x |= (c & 0x1f) << (5 * k);
      k++;
    } while (c & 0x20);
    if (c & 0x10) x |= -1 << (5 * k); // sign-extends the number
    if (m > 2) x += out[at + m - 2]!;
    out[at + m++] = x; // (uint) x: a Uint32Array stores x modulo 2^32
  }
  return m;
}

/** rleFrStringInto in exact arithmetic, for numbers of 7 characters; and where it finds the problems. */
function rleFrStringExact(s: Uint8Array, start: number, end: number, out: Uint32Array, at: number): number {
  let m = 0;
  let p = start;
  while (p < end) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= end || k === MAX_CHARS) {
        countsProblem =
          p < end
            ? `the compressed "counts" string has a number of more than ${MAX_CHARS} characters at character ${p - start - k} (rleToString writes at most ${MAX_CHARS}, for 32-bit counts)`
            : `the compressed "counts" string ends in the middle of a number (its last character ${JSON.stringify(String.fromCharCode(s[end - 1]!))} says that more follow)`;
        return -1;
      }
      const ch = s[p]!;
      if (ch < 48 || ch > 111) {
        countsProblem = `the compressed "counts" string has ${describeChar(ch)} at character ${p - start}; pycocotools writes only the characters '0' to 'o' (ASCII 48 to 111)`;
        return -1;
      }
      const c = ch - 48;
      x += (c & 0x1f) * POW32[k]!;
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x -= POW32[k]!; // x |= -1 << 5*k
    }
    if (m > 2) x += out[at + m - 2]!;
    out[at + m++] = x;
  }
  return m;
}

function describeChar(c: number): string {
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

let unescaped: Uint8Array = new Uint8Array(1024);

/**
 * rleFrStringInto for a compressed string as it stands inside a JSON string literal: `\\` and
 * `\/` unescaped as they are read (the alphabet's one character that JSON escapes is the
 * backslash), so that detection masks can be copied from the file byte for byte. Any other
 * escape, or anything else unusual, goes through an unescaped copy and rleFrStringInto, which
 * says what is wrong (countsProblem).
 */
export function rleFrJsonStringInto(s: Uint8Array, start: number, end: number, out: Uint32Array, at: number): number {
  const m = decodeFast(s, start, end, out, at, true);
  return m >= 0 ? m : viaUnescaped(s, start, end, out, at);
}

/** The JSON string content s[start, end) unescaped, decoded by rleFrStringInto (exact, with its messages). */
function viaUnescaped(s: Uint8Array, start: number, end: number, out: Uint32Array, at: number): number {
  if (unescaped.length < end - start) unescaped = new Uint8Array(2 * (end - start));
  let n = 0;
  for (let p = start; p < end; p++) {
    let ch = s[p]!;
    if (ch === 0x5c) {
      ch = s[++p]!;
      if (ch !== 0x5c && ch !== 0x2f) {
        countsProblem = `the compressed "counts" string has the escape \\${String.fromCharCode(ch)}; pycocotools writes only the characters '0' to 'o' (ASCII 48 to 111)`;
        return -1;
      }
    }
    unescaped[n++] = ch;
  }
  return rleFrStringInto(unescaped, 0, n, out, at);
}
