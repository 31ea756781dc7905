/**
 * File names, paths, argv and environment strings are bytes in Linux; umlts
 * holds them as JS strings. Valid UTF-8 decodes as usual; a byte that is
 * not part of valid UTF-8 becomes the lone surrogate U+DC80..U+DCFF (as
 * Python's surrogateescape, PEP 383), which valid UTF-8 never decodes to,
 * so every byte string round-trips: decodeName(encodeName(s)) === s and
 * encodeName(decodeName(b)) equals b. Whatever hands such a string to the
 * guest or the host encodes it with encodeName (Buffer.from(s, 'utf8')
 * would turn an escape into U+FFFD).
 */

/** stateless; immutable */
const strict = new TextDecoder('utf-8', { fatal: true });
const ESCAPED = /[\udc80-\udcff]/;

/** The string for the bytes b (a name, path or argument, without its NUL). */
export function decodeName(b: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < b.length; i++) {
    if (b[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  try {
    return strict.decode(b);
  } catch {
    return decodeEscaping(b);
  }
}

/** The length of a valid UTF-8 sequence at b[i], or 0 (overlong forms, surrogates and > U+10FFFF are invalid). */
function seqLen(b: Uint8Array, i: number): number {
  const c = b[i]!;
  const cont = (k: number): boolean => i + k < b.length && (b[i + k]! & 0xc0) === 0x80;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const c1 = b[i + 1]!;
    if (c === 0xe0 && c1 < 0xa0) return 0; // overlong
    if (c === 0xed && c1 >= 0xa0) return 0; // a surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const c1 = b[i + 1]!;
    if (c === 0xf0 && c1 < 0x90) return 0; // overlong
    if (c === 0xf4 && c1 >= 0x90) return 0; // past U+10FFFF
    return 4;
  }
  return 0;
}

function decodeEscaping(b: Uint8Array): string {
  let out = '';
  let run = 0; // start of the current valid run
  for (let i = 0; i < b.length;) {
    const n = seqLen(b, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += strict.decode(b.subarray(run, i)) + String.fromCharCode(0xdc00 + b[i]!);
    run = ++i;
  }
  return out + strict.decode(b.subarray(run));
}

/** Whether s holds an escaped byte (and so needs encodeName rather than UTF-8). */
export function hasEscapes(s: string): boolean {
  return ESCAPED.test(s);
}

/** The bytes of s (escapes back to their bytes). */
export function encodeName(s: string): Buffer {
  if (!ESCAPED.test(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc80 || c > 0xdcff) continue;
    // a low surrogate after a high one is half of a real character, not an escape
    if (i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff) continue;
    parts.push(Buffer.from(s.slice(run, i), 'utf8'), Buffer.of(c - 0xdc00));
    run = i + 1;
  }
  parts.push(Buffer.from(s.slice(run), 'utf8'));
  return Buffer.concat(parts);
}

/** limits.h: a path's bytes with its NUL, and a name's */
export const PATH_MAX = 4096, NAME_MAX = 255;

/** encodeName(s).length, without the copy when s has no escapes. */
export function nameByteLength(s: string): number {
  return ESCAPED.test(s) ? encodeName(s).length : Buffer.byteLength(s, 'utf8');
}
