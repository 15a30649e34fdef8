/**
 * The form ladder a rare-earth lot moves along, each rung with the customs (HS) code it is declared under.
 * HS 6-digit headings from the WCO Harmonized System 2022; Chinese 10-digit lines from MOFCOM & GAC
 * Announcement No. 18 of 2025 annex (../shared/reference/regulation.md §3.2) where they exist.
 */
export const materialForms = {
  ore: {
    rung: 0,
    hsCode: '253090',
    label: 'Rare-earth ore',
    source: 'HS 2022 2530.90 (mineral substances n.e.s.)',
  },
  concentrate: { rung: 1, hsCode: '253090', label: 'Rare-earth concentrate', source: 'HS 2022 2530.90' },
  'mixed-compound': {
    rung: 2,
    hsCode: '284690',
    label: 'Mixed rare-earth compound (carbonate, chloride)',
    source: 'HS 2022 2846.90; MOFCOM/GAC No. 18 of 2025 annex (2846902810 …)',
  },
  'separated-oxide': {
    rung: 3,
    hsCode: '284690',
    label: 'Separated rare-earth oxide',
    source: 'HS 2022 2846.90 (2846.10 for cerium compounds); MOFCOM/GAC No. 18 of 2025 annex (2846901940 …)',
  },
  metal: {
    rung: 4,
    hsCode: '280530',
    label: 'Rare-earth metal',
    source: 'HS 2022 2805.30; No. 18 annex 2805301910',
  },
  alloy: {
    rung: 5,
    hsCode: '280530',
    label: 'Rare-earth alloy (e.g. NdFeB strip-cast alloy, DyFe)',
    source: 'HS 2022 2805.30',
  },
  'magnet-sintered-ndfeb': {
    rung: 6,
    hsCode: '850511',
    label: 'Sintered NdFeB permanent magnet',
    source: 'HS 2022 8505.11 (permanent magnets of metal)',
  },
  'magnet-bonded-ndfeb': {
    rung: 6,
    hsCode: '850519',
    label: 'Bonded NdFeB magnet',
    source: 'HS 2022 8505.19',
  },
  'magnet-smco': { rung: 6, hsCode: '850511', label: 'SmCo permanent magnet', source: 'HS 2022 8505.11' },
  component: {
    rung: 7,
    hsCode: '850132',
    label: 'Component (e.g. a traction motor)',
    source: 'HS 2022 8501.32–8501.34 (DC motors)',
  },
  product: {
    rung: 8,
    hsCode: '870380',
    label: 'Product (e.g. an electric vehicle)',
    source: 'HS 2022 8703.80 (electric vehicles)',
  },
  'feedstock-other': {
    rung: 0,
    hsCode: '720299',
    label: 'Other feedstock (iron, ferroboron, cobalt)',
    source: 'HS 2022 72.02 (ferro-alloys)',
  },
  scrap: {
    rung: 0,
    hsCode: '850590',
    label: 'Magnet scrap and swarf for recycling',
    source: 'HS 2022 8505.90',
  },
} as const;

export type MaterialForm = keyof typeof materialForms;

export function isMaterialForm(value: string): value is MaterialForm {
  return Object.hasOwn(materialForms, value);
}

/** What a transformation does; `separation` is the step that fixes the country of separation. */
export const processes = [
  'beneficiation',
  'cracking',
  'separation',
  'metal-making',
  'alloying',
  'magnet-making',
  'component-assembly',
  'product-assembly',
  'recycling',
  'other',
] as const;
export type Process = (typeof processes)[number];

export function isProcess(value: string): value is Process {
  return (processes as readonly string[]).includes(value);
}
