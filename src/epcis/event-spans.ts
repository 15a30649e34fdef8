/**
 * Where each event of a capture document sits in the document's JSON text, so that the text an event is
 * stored as can be the document's own bytes for it rather than `JSON.stringify` of the parsed event.
 *
 * Writing the events again cost the prepare thread about 3 µs an event on the demo world (every decimal
 * number is formatted anew); finding them costs a fraction of that, because strings, which are most of the
 * text, are skipped with `indexOf` and never looked at character by character. The stored text is also
 * closer to what was received: the event as the capturer wrote it, which parses to the same value.
 *
 * The scan runs only on a document that JSON.parse has accepted, so it need not check the grammar; it gives
 * up (returns undefined, and the caller writes the events itself) wherever the text could say something the
 * scan does not follow: a key on the way to the event list written with escapes, or a list whose length is
 * not the parsed one. When a key repeats, JSON.parse keeps the last value, and so does the scan.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

/** Path of keys from the document to its event list, for each kind of capture document. */
export const documentEventPath: readonly string[] = ['epcisBody', 'eventList'];
export const queryEventPath: readonly string[] = ['epcisBody', 'queryResults', 'resultsBody', 'eventList'];

/** The index of the quote that closes the string opening at `open`, or -1. */
function closingQuote(text: string, open: number): number {
  let q = text.indexOf('"', open + 1);
  while (q > 0) {
    let slashes = 0;
    for (let j = q - 1; text.charCodeAt(j) === BACKSLASH; j--) slashes++;
    if (slashes % 2 === 0) return q;
    q = text.indexOf('"', q + 1);
  }
  return -1;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * The `[start, end)` offsets (UTF-16, as `String#slice` takes them) of each element of the event list at
 * `path`, in order, as pairs in one array; undefined if the scan cannot vouch for them. `count` is the number
 * of events JSON.parse found there.
 */
export function eventSpans(text: string, path: readonly string[], count: number): Uint32Array | undefined {
  const listDepth = path.length + 1;
  const spans = new Uint32Array(count * 2);
  let found = -1;
  let depth = 0;
  // The first `onPath` open containers are the document and the values of the path's keys so far.
  let onPath = 0;
  // The last key read in the deepest container on the path is the path's next key.
  let nextOnPath = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = closingQuote(text, i);
      if (end < 0) return undefined;
      if (depth === onPath && depth < listDepth && depth > 0) {
        let k = end + 1;
        while (k < n && isSpace(text.charCodeAt(k))) k++;
        if (text.charCodeAt(k) === COLON) {
          const key = path[depth - 1] as string;
          const raw = text.slice(i + 1, end);
          // An escaped key may mean a path key: JSON.parse would read it so, the scan would not.
          if (raw.includes('\\')) return undefined;
          nextOnPath = raw === key;
        }
      }
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth === onPath && (depth === 0 || nextOnPath)) {
        const wanted = depth === listDepth - 1 ? OPEN_ARRAY : OPEN_OBJECT;
        if (c === wanted) {
          onPath = depth + 1;
          // A repeated key: the last list is the one JSON.parse kept.
          if (onPath === listDepth) found = 0;
        }
        nextOnPath = false;
      }
      if (depth === listDepth && onPath === listDepth) {
        if (found >= count) return undefined;
        spans[found * 2] = i;
      }
      depth++;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
      if (depth === listDepth && onPath === listDepth) {
        spans[found * 2 + 1] = i + 1;
        found++;
      }
      if (onPath > depth) onPath = depth;
      nextOnPath = false;
    } else if (c === COMMA) {
      nextOnPath = false;
    }
  }
  return found === count ? spans : undefined;
}
