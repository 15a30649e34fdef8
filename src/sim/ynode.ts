/**
 * A thin, typed view of a parsed YAML document that remembers where every value came from. Scenario and data
 * errors must name the line, so we never convert to plain objects before validating.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { Problem, type ProblemIssue } from '../core/errors.js';

export interface Pos {
  readonly line: number;
  readonly col: number;
}

export type YNode =
  | {
      readonly kind: 'map';
      readonly entries: ReadonlyMap<string, YNode>;
      readonly keyPos: ReadonlyMap<string, Pos>;
      readonly pos: Pos;
      readonly path: string;
    }
  | { readonly kind: 'seq'; readonly items: readonly YNode[]; readonly pos: Pos; readonly path: string }
  | { readonly kind: 'scalar'; readonly value: unknown; readonly pos: Pos; readonly path: string };

export interface LocatedIssue {
  readonly message: string;
  readonly line: number;
  readonly col: number;
  readonly path: string;
  readonly rule: string;
}

/** Collects issues so that a file with several faults reports all of them at once. */
export class Issues {
  readonly list: LocatedIssue[] = [];
  constructor(readonly fileLabel: string) {}

  add(node: { pos: Pos; path: string }, rule: string, message: string): void {
    this.list.push({ message, line: node.pos.line, col: node.pos.col, path: node.path, rule });
  }

  throwIfAny(kind: 'scenario-invalid' | 'bad-request' = 'scenario-invalid'): void {
    if (this.list.length === 0) return;
    const sorted = [...this.list].sort((a, b) => a.line - b.line || a.col - b.col);
    const first = sorted[0]!;
    const detail =
      sorted.length === 1
        ? `${this.fileLabel} line ${first.line}, column ${first.col}: ${first.message}`
        : `${this.fileLabel}: ${sorted.length} problems; first at line ${first.line}, column ${first.col}: ${first.message}`;
    const issues: ProblemIssue[] = sorted.map((i) => ({
      message: `line ${i.line}, column ${i.col}: ${i.message}`,
      field: i.path,
      rule: i.rule,
    }));
    throw new Problem(kind, detail, issues, {
      lines: sorted.map((i) => i.line),
    });
  }
}

const ROOT: Pos = { line: 1, col: 1 };

function convert(
  node: Node | null | undefined,
  lc: LineCounter,
  path: string,
  doc: ReturnType<typeof parseDocument>,
): YNode {
  const at = (n: Node | null | undefined): Pos => {
    const offset = n?.range?.[0];
    if (offset === undefined) return ROOT;
    const p = lc.linePos(offset);
    return { line: p.line, col: p.col };
  };
  if (node && isAlias(node)) return convert(node.resolve(doc) as Node | undefined, lc, path, doc);
  if (node && isMap(node)) {
    const entries = new Map<string, YNode>();
    const keyPos = new Map<string, Pos>();
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = keyNode && isScalar(keyNode) ? String(keyNode.value) : String(pair.key);
      const childPath = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      const valuePos = at(pair.value as Node | null);
      const converted = convert(pair.value as Node | null, lc, childPath, doc);
      // A key with no value ("key:") has no range; point at the key instead.
      entries.set(
        key,
        pair.value == null ? { kind: 'scalar', value: null, pos: at(keyNode), path: childPath } : converted,
      );
      keyPos.set(key, keyNode ? at(keyNode) : valuePos);
    }
    return { kind: 'map', entries, keyPos, pos: at(node), path };
  }
  if (node && isSeq(node)) {
    const items = node.items.map((item, i) => convert(item as Node | null, lc, `${path}/${i}`, doc));
    return { kind: 'seq', items, pos: at(node), path };
  }
  if (node && isScalar(node)) return { kind: 'scalar', value: node.value, pos: at(node), path };
  return { kind: 'scalar', value: null, pos: at(node), path };
}

/** Parses YAML (or JSON, which is YAML) into located nodes; syntax errors become a problem naming the line. */
export function parseLocated(text: string, fileLabel: string): YNode {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = new Issues(fileLabel);
    for (const error of doc.errors) {
      const lp = lineCounter.linePos(error.pos[0]);
      issues.add(
        { pos: { line: lp.line, col: lp.col }, path: '' },
        'yaml-syntax',
        error.message.split('\n')[0] ?? 'YAML syntax error',
      );
    }
    issues.throwIfAny();
  }
  return convert(doc.contents as Node | null, lineCounter, '', doc);
}

export function child(node: YNode, key: string): YNode | undefined {
  return node.kind === 'map' ? node.entries.get(key) : undefined;
}

export function keys(node: YNode): string[] {
  return node.kind === 'map' ? [...node.entries.keys()] : [];
}

/** Converts a located node to a plain value (after validation, for values that need no further checks). */
export function plain(node: YNode): unknown {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'seq') return node.items.map(plain);
  const out: Record<string, unknown> = {};
  for (const [k, v] of node.entries) out[k] = plain(v);
  return out;
}
