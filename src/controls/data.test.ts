import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Problem } from '../core/errors.js';
import { parseDataFile, standingOn } from './data.js';
import { buildControlRules, loadControlRules } from './rules.js';

const good = `kind: export-controls
version: "t.1"
rulesets:
  - id: R
    title: test
    source: test source
    effective: "2025-01-01"
    suspensions: [{ from: "2025-02-01", until: "2025-02-28", source: s }]
    rules:
      - { id: R/1, type: export-item, controlCode: X1, clause: c, elements: [Dy], forms: [metal] }
`;

function load(text: string) {
  return buildControlRules([parseDataFile('test.yaml', text)]);
}

describe('control data loader', () => {
  it('loads every shipped file, and every rule carries a clause and a source', () => {
    const rules = loadControlRules();
    expect(rules.files.map((f) => f.kind).sort()).toEqual([
      'export-controls',
      'importer-compliance',
      'licensing',
      'national-quotas',
      'party-lists',
      'penalties',
      'quotas',
    ]);
    for (const set of rules.exportControls.rulesets) {
      expect(set.source).not.toBe('');
      for (const rule of set.rules) expect(rule.clause.length).toBeGreaterThan(5);
    }
    for (const p of rules.penalties) expect(p.source).toMatch(/reg\.md/);
  });

  it('accepts a well-formed file', () => {
    expect(load(good).exportControls.rulesets[0]?.rules).toHaveLength(1);
  });

  it.each([
    ['an unquoted-looking bad date', good.replace('"2025-01-01"', '"2025-13-01"'), '/rulesets/0/effective'],
    [
      'a suspension ending before it starts',
      good.replace('until: "2025-02-28"', 'until: "2025-01-28"'),
      '/rulesets/0/suspensions/0',
    ],
    [
      'an unknown element',
      good.replace('elements: [Dy]', 'elements: [Dx]'),
      '/rulesets/0/rules/0/elements/0',
    ],
    ['an unknown form', good.replace('forms: [metal]', 'forms: [gold]'), '/rulesets/0/rules/0/forms/0'],
    ['an unknown rule type', good.replace('type: export-item', 'type: magic'), '/rulesets/0/rules/0/type'],
    ['a missing source', good.replace('source: test source', 'sauce: x'), '/rulesets/0/source'],
    [
      'a rule before its ruleset',
      good.replace('clause: c,', 'clause: c, effective: "2024-01-01",'),
      '/rulesets/0',
    ],
    [
      'a duplicate rule id',
      good +
        '      - { id: R/1, type: export-item, controlCode: X1, clause: c, elements: [Dy], forms: [metal] }\n',
      '/rulesets/0',
    ],
  ])('refuses %s, naming the field', (_name, text, pointer) => {
    try {
      load(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(Problem);
      expect((error as Problem).issues[0]?.field).toBe(pointer);
    }
  });

  it('property: any YAML either loads or is refused with a Problem', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = `kind: export-controls\nversion: "1"\nrulesets: ${JSON.stringify(value)}\n`;
        try {
          load(text);
        } catch (error) {
          expect(error).toBeInstanceOf(Problem);
        }
      }),
    );
  });

  it('standing at the edges: effective day in force, both suspension ends suspended', () => {
    const s = [{ from: '2025-11-07', until: '2026-11-10', source: 'No. 70' }];
    expect(standingOn('2025-11-06', '2025-10-09', s).standing).toBe('in-force');
    expect(standingOn('2025-10-08', '2025-10-09', s).standing).toBe('not-yet-effective');
    expect(standingOn('2025-10-09', '2025-10-09', s).standing).toBe('in-force');
    expect(standingOn('2025-11-07', '2025-10-09', s).standing).toBe('suspended');
    expect(standingOn('2026-11-10', '2025-10-09', s).standing).toBe('suspended');
    expect(standingOn('2026-11-11', '2025-10-09', s).standing).toBe('in-force');
  });
});
