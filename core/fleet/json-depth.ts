/**
 * How deeply a JSON text nests, found by one pass over its bytes before anything parses it.
 *
 * A 1 MB body of nothing but `[[[[...` costs a recursive parser (and zod after it) about ten
 * times the CPU of a flat body of the same size, and `serve` answers the feed on the same
 * thread. Agent requests nest four levels at most, so anything deeper is refused unparsed.
 * Brackets inside strings do not count; a backslash escapes the next byte.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/** True when no array or object in `bytes` is nested deeper than `limit` (the outermost is depth 1). */
export function nestsWithin(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      if (++depth > limit) return false;
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) depth--;
  }
  return true;
}
