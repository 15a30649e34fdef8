import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isProblem, type Problem } from '../core/errors.js';
import { loadBaseline } from './baseline.js';
import { compilePlan } from './plan.js';
import { parseScenario } from './scenario.js';

const scenarioDir = new URL('../../scenarios/', import.meta.url);

function problemOf(text: string): Problem {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (error) {
    if (isProblem(error)) return error;
    throw error;
  }
  throw new Error('expected the scenario to be rejected');
}

const head = `name: t
start: "2025-01"
horizonMonths: 24
`;

describe('shipped scenarios', () => {
  const files = readdirSync(scenarioDir).filter((f) => f.endsWith('.yaml'));

  it('ships the six scenarios the issue asks for', () => {
    expect(files.sort()).toEqual([
      'baseline.yaml',
      'licensing-2025.yaml',
      'magnet-ban-us-12m.yaml',
      'overseas-ramp-2030.yaml',
      'quota-3-demand-6.yaml',
      'recycling-30-2030.yaml',
    ]);
  });

  it.each(files)('%s parses, compiles and sources every lever', (file) => {
    const s = parseScenario(readFileSync(new URL(file, scenarioDir), 'utf8'), file);
    const plan = compilePlan(loadBaseline(), s);
    expect(plan.T).toBe(120);
    for (const a of s.assumptions) expect(a.source.length).toBeGreaterThan(10);
  });
});

describe('bad scenarios name the line', () => {
  it('unknown element', () => {
    const p = problemOf(`${head}tradeRestrictions:
  - origin: CN
    elements: [Dy, Xx]
    forms: [oxide]
    start: "2025-04"
    licensedShare: 0
    source: test
`);
    expect(p.kind).toBe('scenario-invalid');
    expect(p.message).toMatch(/line 6, column \d+: unknown element "Xx"/);
    expect(p.extensions.lines).toEqual([6]);
    expect(p.toJSON().status).toBe(400);
  });

  it('accepts grouped elements (Lu) as the Other group', () => {
    expect(() =>
      parseScenario(`${head}tradeRestrictions:
  - origin: CN
    elements: [Lu]
    start: "2025-04"
    licensedShare: 0
    source: test
`),
    ).not.toThrow();
  });

  it('unknown region', () => {
    const p = problemOf(`${head}capacity:
  - region: Atlantis
    stage: magnet
    tonnesPerYear: 100
    start: "2026-01"
    source: test
`);
    expect(p.message).toMatch(/line 5, column \d+: unknown region "Atlantis"/);
  });

  it('negative capacity', () => {
    const p = problemOf(`${head}capacity:
  - region: US
    stage: magnet
    tonnesPerYear: -5
    start: "2026-01"
    source: test
`);
    expect(p.message).toMatch(
      /line 7, column \d+: capacity\[0\]\.tonnesPerYear is -5; it must be at least 0/,
    );
    expect(p.issues[0]?.rule).toBe('negative-capacity');
  });

  it('overlapping contradictory bans', () => {
    const p = problemOf(`${head}tradeRestrictions:
  - id: ban-a
    origin: CN
    elements: [Dy]
    forms: [magnet]
    destinations: [US]
    start: "2025-04"
    end: "2025-12"
    licensedShare: 0
    source: test
  - id: ban-b
    origin: CN
    elements: [Dy, Tb]
    forms: [magnet, metal]
    destinations: [all]
    start: "2025-10"
    licensedShare: 0.5
    source: test
`);
    expect(p.message).toMatch(/line 14, column \d+: trade restriction "ban-b" overlaps "ban-a" \(line 5\)/);
    expect(p.issues[0]?.rule).toBe('contradictory-restrictions');
  });

  it('non-overlapping or agreeing restrictions are fine', () => {
    expect(() =>
      parseScenario(`${head}tradeRestrictions:
  - { id: a, origin: CN, elements: [Dy], start: "2025-04", end: "2025-06", licensedShare: 0, source: s }
  - { id: b, origin: CN, elements: [Dy], start: "2025-07", licensedShare: 0.5, source: s }
  - { id: c, origin: CN, elements: [Tb], start: "2025-04", licensedShare: 0.2, source: s }
`),
    ).not.toThrow();
  });

  it('missing source', () => {
    const p = problemOf(`${head}quota:
  miningGrowthPerYear: 0.03
`);
    expect(p.message).toMatch(/line 5, column \d+: quota has no source/);
    expect(p.issues[0]?.rule).toBe('missing-source');
  });

  it('reports every fault, sorted by line, and YAML syntax errors with their line', () => {
    const p = problemOf(`${head}unknownKey: 1
capacity:
  - region: Mars
    stage: magnet
    tonnesPerYear: -1
    start: "2026-01"
`);
    expect(p.issues.length).toBeGreaterThanOrEqual(4);
    expect(p.extensions.lines).toEqual([...(p.extensions.lines as number[])].sort((a, b) => a - b));
    const syntax = problemOf('name: x\nstart: "2025-01"\n  bad: [\n');
    expect(syntax.message).toMatch(/line \d+/);
  });

  it('bounds the horizon with a named limit', () => {
    const p = problemOf('name: t\nstart: "2025-01"\nhorizonMonths: 100000\n');
    expect(p.message).toMatch(/line 3.*at most 360/);
  });
});
