/**
 * The error registry: every rejection raretrace gives is one of these problem types, answered as an
 * RFC 9457 problem detail. One registry keeps the names, titles and HTTP statuses in one place so that the
 * CLI, the HTTP server and the library say the same thing for the same fault.
 */

export const PROBLEM_TYPE_BASE = 'https://raretrace.dev/problems/';

export const problemTypes = {
  'malformed-json': { status: 400, title: 'The body is not valid JSON' },
  'document-too-large': { status: 413, title: 'The document exceeds the size limit' },
  'too-many-events': { status: 413, title: 'The document holds more events than the limit' },
  'schema-violation': { status: 400, title: 'The document does not follow the EPCIS 2.0 schema' },
  'vocabulary-violation': { status: 400, title: 'A CBV vocabulary term is not standard' },
  'unit-not-supported': { status: 400, title: 'A unit of measure is not supported for mass' },
  'quantity-out-of-range': {
    status: 400,
    title: 'A quantity is outside the range the ledger can hold exactly',
  },
  'extension-invalid': { status: 400, title: 'The raretrace extension fields are invalid' },
  'unknown-lot': { status: 422, title: 'The event names a lot the ledger does not know' },
  'lot-exists': { status: 409, title: 'The lot has already been commissioned' },
  'mass-balance': { status: 422, title: 'A transformation creates mass beyond its inputs' },
  'over-consumption': { status: 422, title: 'An event consumes more of a lot than remains' },
  'not-custodian': { status: 403, title: 'The party does not hold the lot or the location' },
  'unknown-party': { status: 422, title: 'The party is not registered' },
  'unknown-location': { status: 422, title: 'The location is not registered' },
  unauthenticated: { status: 401, title: 'A valid API token is required' },
  forbidden: { status: 403, title: 'The token does not allow this' },
  'not-found': { status: 404, title: 'Not found' },
  'bad-query': { status: 400, title: 'The query parameters are invalid' },
  'bad-request': { status: 400, title: 'The request is invalid' },
  'request-too-large': { status: 431, title: "The request line or headers exceed the server's limit" },
  'unsupported-media-type': { status: 415, title: 'The body is not in a media type this endpoint takes' },
  'log-conflict': { status: 409, title: 'The log moved on: the expected tree size does not match' },
  'store-unavailable': { status: 503, title: 'The store cannot be reached' },
  'store-version': { status: 409, title: 'The store was written by a newer release of raretrace' },
  'store-unrecognised': { status: 409, title: 'The database is not a raretrace store this release can read' },
  'rule-violation': { status: 422, title: 'A control rule refuses this' },
  'scenario-invalid': { status: 400, title: 'The scenario is invalid' },
  internal: { status: 500, title: 'Internal error' },
  // Transparency log (src/tlog). The witness statuses follow C2SP tlog-witness add-checkpoint.
  'tlog-malformed': {
    status: 400,
    title: 'The transparency-log text (note, checkpoint, proof, request) is malformed',
  },
  'tlog-bad-signature': {
    status: 403,
    title: 'No trusted signature verifies, or a signature from a trusted key fails',
  },
  'tlog-unknown-log': { status: 404, title: 'The log origin is not known' },
  'tlog-old-size-mismatch': {
    status: 409,
    title: 'The old size does not match the latest cosigned checkpoint',
  },
  'tlog-bad-proof': { status: 422, title: 'The Merkle proof or root does not verify' },
  'tlog-fork': { status: 500, title: 'Refused to sign a checkpoint inconsistent with one already signed' },
  'tlog-tile-missing': { status: 500, title: 'A Merkle tile the log needs is missing or too short' },
  // Controls (src/controls).
  'licence-state': { status: 409, title: 'The licence is not in a state that allows this' },
  'licence-conflict': { status: 409, title: 'The licence changed since it was read' },
  'certificate-invalid': { status: 422, title: 'The certificate does not verify' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemKind = keyof typeof problemTypes;

/** Where in a document a fault was found: which event and which field (a JSON pointer). */
export interface ProblemLocation {
  /** Index of the event within the document's eventList (0-based), when the fault is in an event. */
  readonly eventIndex?: number;
  /** JSON pointer to the field, relative to the document root, e.g. `/epcisBody/eventList/2/action`. */
  readonly field?: string;
  /** The rule that refused the input, e.g. `mass-balance:Nd` or a JSON-schema keyword. */
  readonly rule?: string;
  /** The record the fault is about: an event hash, a lot id, a party id. */
  readonly record?: string;
}

/** An RFC 9457 problem detail as sent on the wire. */
export interface ProblemDetail {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: ProblemLocation[] & { message?: string }[];
  [extension: string]: unknown;
}

export interface ProblemIssue extends ProblemLocation {
  readonly message: string;
}

/** The one error class raretrace throws for faults the caller can fix. */
export class Problem extends Error {
  readonly kind: ProblemKind;
  readonly issues: readonly ProblemIssue[];
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(
    kind: ProblemKind,
    detail: string,
    issues: readonly ProblemIssue[] = [],
    extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'Problem';
    this.kind = kind;
    this.issues = issues;
    this.extensions = extensions;
  }

  get status(): number {
    return problemTypes[this.kind].status;
  }

  toJSON(): ProblemDetail {
    const out: ProblemDetail = {
      type: PROBLEM_TYPE_BASE + this.kind,
      title: problemTypes[this.kind].title,
      status: this.status,
      detail: this.message,
      ...this.extensions,
    };
    if (this.issues.length > 0) out.errors = this.issues.map((issue) => ({ ...issue }));
    return out;
  }
}

/** Shorthand for a problem about one place in a document. */
export function problemAt(kind: ProblemKind, message: string, at: ProblemLocation): Problem {
  const where = [
    at.eventIndex !== undefined ? `event ${at.eventIndex}` : undefined,
    at.field !== undefined ? `field ${at.field}` : undefined,
    at.rule !== undefined ? `rule ${at.rule}` : undefined,
    at.record !== undefined ? `record ${at.record}` : undefined,
  ]
    .filter((part) => part !== undefined)
    .join(', ');
  return new Problem(kind, where.length > 0 ? `${message} (${where})` : message, [{ ...at, message }]);
}

export function isProblem(value: unknown): value is Problem {
  return value instanceof Problem;
}
