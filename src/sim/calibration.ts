/**
 * Calibration episodes: the 2010-11 export-quota crisis (a 2009-structured world) and the April 2025 licensing.
 * Kept in the library, not only in tests, so `docs/simulator.md` figures and the test use the same setup.
 */
import type { Baseline } from './baseline.js';
import { REGIONS, SECTORS } from './dims.js';

const shares = (m: Partial<Record<(typeof REGIONS)[number], number>>): number[] =>
  REGIONS.map((r) => m[r] ?? 0);

/**
 * The 2009 world, from the 2024 baseline's structure. Sources: USGS MCS 2011 (2009 mine output: China 129 kt of
 * 133 kt; India 2.7 kt, Brazil 0.55 kt, Malaysia 0.35 kt); China's export quota ~50 kt (2009) against ~125 kt of
 * world demand (Alonso 2012: 2010-era demand ~105 kt +/-15%); Japan ~20-25% of NdFeB output in 2010 (Adamas);
 * ex-China separation and metal making small (Silmet Estonia, IREL India, Japanese alloy makers). Tags: S/U.
 */
export function world2009(base: Baseline): Baseline {
  const b = structuredClone(base);
  b.mines = [
    {
      country: 'CN',
      region: REGIONS.indexOf('CN'),
      deposit: 'bayan-obo',
      tPerYear: 104000,
      quotaGroup: 'cn-rock',
    },
    {
      country: 'CN',
      region: REGIONS.indexOf('CN'),
      deposit: 'ion-clay',
      tPerYear: 25000,
      quotaGroup: 'cn-ion',
    },
    { country: 'IN', region: REGIONS.indexOf('RoW'), deposit: 'monazite', tPerYear: 2700, quotaGroup: null },
    { country: 'BR', region: REGIONS.indexOf('RoW'), deposit: 'monazite', tPerYear: 550, quotaGroup: null },
    { country: 'MY', region: REGIONS.indexOf('MY'), deposit: 'monazite', tPerYear: 350, quotaGroup: null },
  ];
  b.quota = {
    ...b.quota,
    mining: 129000,
    ion: 25000,
    separation: 129000,
    miningGrowth: 0,
    ionGrowth: 0,
    separationGrowth: 0,
    nonQuotaMiningGrowth: { min: 0, mode: 0, max: 0 },
  };
  b.separationCap = shares({ CN: 140000, EU: 3000, RoW: 3000, JP: 1000 });
  b.metalCap = shares({ CN: 30000, JP: 6000, EU: 300 });
  b.processingGrowth = { metal: { min: 0, mode: 0, max: 0 }, magnet: { min: 0, mode: 0, max: 0 } };
  b.magnetCap = [
    shares({ CN: 70000, JP: 22000, EU: 3000, US: 300 }),
    shares({ CN: 1500, JP: 500, US: 300, EU: 300 }),
  ];
  // 2009 magnet demand ~70 kt NdFeB; end use sited where magnets were built into products.
  b.magnetDemand = [
    [6000, 3000, 18000, 22000, 800, 20000],
    [600, 0, 600, 0, 600, 800],
  ];
  const site = shares({ CN: 0.5, JP: 0.25, US: 0.1, EU: 0.1, KR: 0.03, RoW: 0.02 });
  b.regionShares = SECTORS.map(() => site);
  b.othersOxideRegionShares = shares({ CN: 0.55, JP: 0.2, US: 0.12, EU: 0.1, KR: 0.02, RoW: 0.01 });
  b.growth = SECTORS.map(() => ({ mean: 0.05, sd: 0 }));
  b.announced = [];
  b.recyclingShare = 0; // Sprecher et al. 2017: no appreciable recycling response
  b.government = [];
  return b;
}

/** The 2010 export-quota cut: about 40% below the 2009 volume, from July 2010 until the 2015 WTO-driven end. */
export const QUOTA_CUT_2010 = `
name: export-quota-2010
title: China's 2010 export-quota cut (calibration)
start: "2010-01"
horizonMonths: 72
source: "shared/reference/simulation.md §2.2"
tradeRestrictions:
  - id: export-quota-2010
    origin: CN
    elements: [all]
    forms: [concentrate, oxide, metal]
    destinations: [all]
    start: "2010-07"
    end: "2014-12"
    licensedShare: 0.6
    source: "Export quota ~50 kt (2009) -> ~30 kt (2010), -40% (Japan Metal Bulletin; Univ. Birmingham 2013); quotas ended after the March 2014 WTO ruling"
substitution:
  ratePerYear: 0.10
  maxShare: 0.3
  triggerPriceIndex: 1.5
  source: "Sprecher et al. 2017: substitution up to 10% of total demand per year"
supplyResponse:
  sharePerYear: 0.04
  leadMonths: 12
  triggerPriceIndex: 2
  source: "Sprecher et al. 2017: non-Chinese primary supply ramped at 4% of market volume per year (Mountain Pass restart 2012, Lynas 2012-13)"
`;
