// Device-supplied text (metric keys, Sparkplug names) ends up in error messages, logs and
// API responses. Echo it capped and escaped, so a hostile device cannot flood a log line,
// forge a new one with a newline, or hide text behind control or bidi characters.

/** How many characters of a device-supplied name an error message repeats. */
export const MAX_ECHO_LENGTH = 64;

/**
 * Quotes `text` for a human-readable message: at most `max` characters, anything outside
 * printable ASCII written as a `\uXXXX` escape, and `…` when it was cut.
 */
export function quoteForMessage(text: string, max: number = MAX_ECHO_LENGTH): string {
  const end = text.length < max ? text.length : max;
  let out = '"';
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 && code <= 0x7e && code !== 0x22 && code !== 0x5c) {
      out += text[i];
    } else if (code === 0x22 || code === 0x5c) {
      out += '\\' + text[i];
    } else {
      out += '\\u' + code.toString(16).padStart(4, '0');
    }
  }
  return out + (text.length > max ? '…"' : '"');
}
