// UTF-8 sizes without TextEncoder or Buffer: the engine's lib has neither, and counting is
// cheaper than encoding when all we need is "does it fit".

/**
 * Whether `text` would take more than `limit` bytes as UTF-8, counting as little as possible:
 * every code unit takes 1 to 3 bytes (a surrogate pair 4 for 2 units), so the unit count alone
 * usually decides, and the exact count stops as soon as the limit is passed.
 */
export function exceedsUtf8Bytes(text: string, limit: number): boolean {
  const units = text.length;
  if (units > limit) return true;
  if (units * 3 <= limit) return false;
  let bytes = 0;
  for (let i = 0; i < units; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
    if (bytes > limit) return true;
  }
  return false;
}

/**
 * Exact UTF-8 size of `text` (what TextEncoder would produce): a code unit below 0x80 is 1
 * byte, below 0x800 is 2, a surrogate pair is 4, any other unit 3 (a lone surrogate is encoded
 * as the 3-byte U+FFFD).
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
