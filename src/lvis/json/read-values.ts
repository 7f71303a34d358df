/** Values the loader needs: numbers and keys, read straight from the bytes without building intermediate strings. */
import { JsonSyntaxError, NEED_MORE, describeByte, isDigit, skipString , latin1 } from './grammar.js';


const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/** Position just after the number read by the last `readNumber` call. */
export let numberEnd = 0;

/**
 * Reads and validates the number at p; its end goes to `numberEnd`. The result is the same
 * double JSON.parse gives: mantissas below 2^53 with a decimal exponent within ±22 are exact
 * (one correctly rounded multiplication or division, Clinger's fast path); anything else goes
 * through the engine's own conversion.
 */
export function readNumber(b: Uint8Array, p: number, end: number): number {
  const start = p;
  let neg = false;
  if (p < end && b[p] === 0x2d) {
    neg = true;
    p++;
  }
  if (p >= end) throw NEED_MORE;
  let c = b[p]!;
  let m = 0;
  let digits = 0;
  let scale = 0;
  let exp = 0;
  if (c === 0x30) {
    p++;
  } else if (c >= 0x31 && c <= 0x39) {
    do {
      m = m * 10 + (c - 0x30);
      digits++;
      p++;
    } while (p < end && (c = b[p]!) >= 0x30 && c <= 0x39);
  } else {
    throw new JsonSyntaxError(p, `unexpected ${describeByte(c)} in a number, expected a digit`);
  }
  if (p >= end) throw NEED_MORE;
  c = b[p]!;
  if (c === 0x2e) {
    p++;
    if (p >= end) throw NEED_MORE;
    c = b[p]!;
    if (!isDigit(c)) throw new JsonSyntaxError(p, `unexpected ${describeByte(c)} after '.' in a number, expected a digit`);
    do {
      m = m * 10 + (c - 0x30);
      digits++;
      scale++;
      p++;
    } while (p < end && (c = b[p]!) >= 0x30 && c <= 0x39);
    if (p >= end) throw NEED_MORE;
    c = b[p]!;
  }
  if (c === 0x65 || c === 0x45) {
    p++;
    if (p >= end) throw NEED_MORE;
    c = b[p]!;
    let eneg = false;
    if (c === 0x2b || c === 0x2d) {
      eneg = c === 0x2d;
      p++;
      if (p >= end) throw NEED_MORE;
      c = b[p]!;
    }
    if (!isDigit(c)) throw new JsonSyntaxError(p, `unexpected ${describeByte(c)} in the exponent of a number, expected a digit`);
    do {
      if (exp < 100000) exp = exp * 10 + (c - 0x30);
      p++;
    } while (p < end && (c = b[p]!) >= 0x30 && c <= 0x39);
    if (p >= end) throw NEED_MORE;
    c = b[p]!;
    if (eneg) exp = -exp;
  }
  if (isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2e || c === 0x2b || c === 0x2d) {
    throw new JsonSyntaxError(p, `unexpected ${describeByte(c)} after the number ${latin1(b, start, p)}`);
  }
  numberEnd = p;
  if (digits <= 15) {
    const e10 = exp - scale;
    if (e10 === 0) return neg ? -m : m;
    if (e10 < 0 && e10 >= -22) return neg ? -(m / POW10[-e10]!) : m / POW10[-e10]!;
    if (e10 > 0 && e10 <= 22) return neg ? -(m * POW10[e10]!) : m * POW10[e10]!;
  }
  return Number(latin1(b, start, p));
}

/**
 * readNumber's fast path for the numbers polygons are made of (`123.45`, `-0.5`, `17`): at most
 * 15 digits, no exponent, followed within the window by `,`, `]` or a space. Returns the same
 * double (one correctly rounded division), its end in `numberEnd`; NaN for anything else, which
 * the caller then reads with readNumber (and its errors). GT polygons are most of a GT file's
 * numbers: this took a third off reading them (a micro-benchmark over 2.8M: 36 → 25 ns each).
 */
export function readShortDecimal(b: Uint8Array, p: number, end: number): number {
  let q = p;
  const neg = b[q] === 0x2d;
  if (neg) q++;
  let c = q < end ? b[q]! : 0;
  let m = 0;
  let digits = 0;
  if (c === 0x30) c = ++q < end ? b[q]! : 0;
  else {
    while (c >= 0x30 && c <= 0x39) {
      m = m * 10 + (c - 0x30);
      digits++;
      c = ++q < end ? b[q]! : 0;
    }
    if (digits === 0) return NaN;
  }
  let scale = 0;
  if (c === 0x2e) {
    c = ++q < end ? b[q]! : 0;
    while (c >= 0x30 && c <= 0x39) {
      m = m * 10 + (c - 0x30);
      digits++;
      scale++;
      c = ++q < end ? b[q]! : 0;
    }
    if (scale === 0) return NaN;
  }
  if (digits > 15 || !(c === 0x2c || c === 0x5d || c === 0x20)) return NaN;
  numberEnd = q;
  const v = scale === 0 ? m : m / POW10[scale]!;
  return neg ? -v : v;
}

/** True when the bytes of key (a plain ASCII name) equal b[start .. end). */
export function bytesEqual(b: Uint8Array, start: number, end: number, key: Uint8Array): boolean {
  if (end - start !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (b[start + i] !== key[i]) return false;
  return true;
}

/**
 * Reads the string at p (the opening quote) and returns its decoded text. Used for keys of the
 * top-level object and category names; record keys are compared as bytes instead.
 */
export function readString(b: Uint8Array, p: number, end: number): string {
  const stop = skipString(b, p, end);
  numberEnd = stop;
  let plain = true;
  for (let i = p + 1; i < stop - 1; i++) {
    const c = b[i]!;
    if (c === 0x5c || c >= 0x80) {
      plain = false;
      break;
    }
  }
  if (plain) return latin1(b, p + 1, stop - 1);
  return JSON.parse(Buffer.from(b.buffer, b.byteOffset + p, stop - p).toString('utf8')) as string;
}
