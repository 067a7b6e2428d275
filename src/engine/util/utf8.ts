// UTF-8 helpers for binary formats whose problems are reported as byte offsets while their text is
// parsed as JavaScript strings (UTF-16).

/**
 * Offset of the first byte that is not valid UTF-8 (overlong forms, surrogates and code points past
 * U+10FFFF included, as Rust's `str::from_utf8` and a fatal TextDecoder refuse them), or -1.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b === 0xe0) [need, lo] = [2, 0xa0];
    else if (b === 0xed) [need, hi] = [2, 0x9f];
    else if (b >= 0xe1 && b <= 0xef) need = 2;
    else if (b === 0xf0) [need, lo] = [3, 0x90];
    else if (b >= 0xf1 && b <= 0xf3) need = 3;
    else if (b === 0xf4) [need, hi] = [3, 0x8f];
    else return i;
    if (i + need >= n) return i;
    const second = bytes[i + 1];
    if (second < lo || second > hi) return i;
    for (let k = 2; k <= need; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * Maps UTF-16 offsets in `text` to UTF-8 byte offsets. ASCII text maps to itself; otherwise a
 * checkpoint every 1,024 code units bounds each lookup to a short walk, without a table per character.
 */
export function utf8OffsetMapper(text: string): (utf16Offset: number) => number {
  if (!/[^\x00-\x7f]/.test(text)) return (i) => i;
  const STEP = 1024;
  const marks = new Float64Array(Math.floor(text.length / STEP) + 1);
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    if (i % STEP === 0) marks[i / STEP] = bytes;
    bytes += unitBytes(text.charCodeAt(i));
  }
  return (offset) => {
    const target = Math.max(0, Math.min(offset, text.length));
    const k = Math.floor(target / STEP);
    let b = marks[Math.min(k, marks.length - 1)];
    for (let i = Math.min(k, marks.length - 1) * STEP; i < target; i++) b += unitBytes(text.charCodeAt(i));
    return b;
  };
}

/** UTF-8 bytes per UTF-16 code unit: a surrogate pair's 4 bytes split 2 + 2. */
function unitBytes(c: number): number {
  return c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3;
}

/** True when a string holds a surrogate without its partner (possible only through `\u` escapes). */
export function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    return true;
  }
  return false;
}
