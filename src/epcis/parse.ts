import { Problem, type ProblemIssue } from '../core/errors.js';
import { limits } from '../core/limits.js';
import type { EpcisDocumentInput, EpcisEvent, JsonLdContext } from './types.js';

/**
 * The edge of capture: bytes in, a parsed document out, with limits checked before any work is spent on it.
 * These functions check only the envelope (EPCIS 2.0 §9.3 JSON binding, REST bindings `POST /capture` and
 * `POST /events`); the events themselves are checked by `validateDocument`.
 */

const DOC_EVENTS = '/epcisBody/eventList';
const QUERY_EVENTS = '/epcisBody/queryResults/resultsBody/eventList';

function byteLength(body: string | Buffer): number {
  if (typeof body !== 'string') return body.length;
  // A UTF-16 code unit is at most 3 UTF-8 bytes: skip the count when the string cannot be over the limit.
  return body.length * 3 <= limits.maxDocumentBytes ? body.length : Buffer.byteLength(body, 'utf8');
}

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lastNewline = -1;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lastNewline = i;
    }
  }
  return { line, column: position - lastNewline };
}

class SyntaxAt {
  constructor(readonly offset: number) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4})/y;

/**
 * The offset of the first JSON syntax error (RFC 8259). Node 20's JSON.parse does not always say where it
 * failed, and a client fixing a 60 MB document needs to know. Runs only after JSON.parse has failed.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const n = text.length;
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      i++;
    }
  };
  const string = (): void => {
    if (text[i] !== '"') throw new SyntaxAt(i);
    i++;
    for (;;) {
      if (i >= n) throw new SyntaxAt(i);
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c === 92) {
        ESCAPE.lastIndex = i;
        if (!ESCAPE.test(text)) throw new SyntaxAt(i);
        i = ESCAPE.lastIndex;
      } else if (c < 32) {
        throw new SyntaxAt(i);
      } else {
        i++;
      }
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (close === '}') {
          ws();
          string();
          ws();
          if (text[i] !== ':') throw new SyntaxAt(i);
          i++;
        }
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return;
        }
        throw new SyntaxAt(i);
      }
    }
    if (c === '"') {
      string();
      return;
    }
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      return;
    }
    throw new SyntaxAt(i);
  };
  try {
    value();
    ws();
    return i < n ? i : undefined;
  } catch (err) {
    if (err instanceof SyntaxAt) return err.offset;
    return undefined; // e.g. nesting deeper than the stack: give no position rather than a wrong one
  }
}

/** The body's text and what it parses to. */
function parseJson(body: string | Buffer, maxBytes: number): { value: unknown; text: string } {
  const size = byteLength(body);
  if (size > maxBytes) {
    throw new Problem(
      'document-too-large',
      `The body is ${size} bytes; the limit is ${maxBytes}`,
      [{ message: `body exceeds ${maxBytes} bytes`, rule: 'limit:maxDocumentBytes' }],
      { limit: maxBytes, size },
    );
  }
  const text = typeof body === 'string' ? body : body.toString('utf8');
  try {
    return { value: JSON.parse(text), text };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const found = /position (\d+)/.exec(message);
    const position = found !== null ? Number(found[1]) : (jsonErrorOffset(text) ?? text.length);
    const { line, column } = lineAndColumn(text, position);
    throw new Problem(
      'malformed-json',
      `The body is not valid JSON at position ${position} (line ${line}, column ${column}): ${message}`,
      [{ message, rule: 'json' }],
      { position, line, column },
    );
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function contextOf(v: Record<string, unknown>): JsonLdContext {
  const c = v['@context'];
  if (typeof c === 'string' || Array.isArray(c) || isRecord(c)) return c as JsonLdContext;
  return [];
}

function shapeProblem(issues: ProblemIssue[]): Problem {
  return new Problem('schema-violation', issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);
}

/** Where a capture document keeps its events, or the issues that say why it has none. */
export function locateEvents(doc: unknown): { list: unknown[]; pointer: string } | ProblemIssue[] {
  if (!isRecord(doc)) {
    return [{ field: '', rule: 'schema:type', message: 'the document must be a JSON object' }];
  }
  const type = doc.type;
  if (type !== 'EPCISDocument' && type !== 'EPCISQueryDocument') {
    return [
      {
        field: '/type',
        rule: 'schema:enum',
        message: `type must be EPCISDocument or EPCISQueryDocument, not ${JSON.stringify(type)}`,
      },
    ];
  }
  const body = doc.epcisBody;
  if (!isRecord(body))
    return [{ field: '/epcisBody', rule: 'schema:required', message: 'epcisBody must be an object' }];
  if (type === 'EPCISDocument') {
    if (!Array.isArray(body.eventList)) {
      return [
        { field: DOC_EVENTS, rule: 'schema:required', message: 'epcisBody.eventList must be an array' },
      ];
    }
    return { list: body.eventList, pointer: DOC_EVENTS };
  }
  // EPCIS 2.0 REST bindings: POST /capture also takes an EPCISQueryDocument (a query result being re-captured).
  const results = isRecord(body.queryResults) ? body.queryResults.resultsBody : undefined;
  if (!isRecord(results) || !Array.isArray(results.eventList)) {
    return [
      {
        field: QUERY_EVENTS,
        rule: 'schema:required',
        message: 'epcisBody.queryResults.resultsBody.eventList must be an array',
      },
    ];
  }
  return { list: results.eventList, pointer: QUERY_EVENTS };
}

/**
 * Parse a `POST /capture` body: an EPCISDocument, or an EPCISQueryDocument whose events are captured.
 * Throws `document-too-large`, `malformed-json`, `schema-violation` (no event list) or `too-many-events`.
 */
export function parseCaptureBody(body: string | Buffer): EpcisDocumentInput {
  const { value: doc, text } = parseJson(body, limits.maxDocumentBytes);
  const located = locateEvents(doc);
  if (Array.isArray(located)) throw shapeProblem(located);
  const { list, pointer } = located;
  if (list.length > limits.maxEventsPerDocument) {
    throw new Problem(
      'too-many-events',
      `The document holds ${list.length} events; the limit is ${limits.maxEventsPerDocument}`,
      [
        {
          field: pointer,
          rule: 'limit:maxEventsPerDocument',
          message: `more than ${limits.maxEventsPerDocument} events`,
        },
      ],
      { limit: limits.maxEventsPerDocument, count: list.length },
    );
  }
  const document = doc as Record<string, unknown>;
  return {
    document,
    text,
    context: contextOf(document),
    events: list as EpcisEvent[],
    eventPointer: (i: number) => `${pointer}/${i}`,
  };
}

/**
 * Parse a `POST /events` body: one bare event carrying its own `@context` (EPCIS 2.0 REST bindings).
 * The event's pointer is the document root.
 */
export function parseSingleEvent(body: string | Buffer): EpcisDocumentInput {
  const { value: doc, text } = parseJson(body, Math.min(limits.maxEventBytes, limits.maxDocumentBytes));
  if (!isRecord(doc)) {
    throw shapeProblem([{ field: '', rule: 'schema:type', message: 'the event must be a JSON object' }]);
  }
  if (doc.type === 'EPCISDocument' || doc.type === 'EPCISQueryDocument') {
    throw shapeProblem([
      {
        field: '/type',
        rule: 'schema:enum',
        message: 'POST /events takes one event; send documents to /capture',
      },
    ]);
  }
  return {
    document: doc,
    text,
    context: contextOf(doc),
    events: [doc as EpcisEvent],
    eventPointer: () => '',
  };
}
