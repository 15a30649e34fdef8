/**
 * The products a result reports when its scenario names none. A module of its own, without imports: the
 * simulation workers load plan.ts, which reads these, and should not load the YAML parser with them.
 */
/** Default products reported when a scenario names none (intensities from the baseline data). */
export const DEFAULT_PRODUCTS: readonly {
  name: string;
  intensity: string;
  region: string;
  sector: string;
  share: number;
}[] = [
  { name: 'EV traction motors (EU)', intensity: 'ev-motor', region: 'EU', sector: 'ev', share: 1 },
  { name: 'EV traction motors (US)', intensity: 'ev-motor', region: 'US', sector: 'ev', share: 1 },
  {
    name: 'MW of direct-drive wind (EU)',
    intensity: 'wind-mw-direct-drive',
    region: 'EU',
    sector: 'wind',
    share: 1,
  },
  {
    name: 'F-35 airframes (US, 10% of US defence magnets)',
    intensity: 'f35',
    region: 'US',
    sector: 'defence',
    share: 0.1,
  },
];
