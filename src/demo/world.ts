import type { Location, LocationKind, Party, PartyRole } from '../domain/party.js';
import {
  chinaMineSplit,
  chinaQuotaByOreType2023,
  type DepositType,
  mineProduction2024,
  routeDates,
} from './calibration.js';

/**
 * The demo world's roster: parties, their locations, and who sends what to whom.
 *
 * Mines and separation plants are real, public facilities (the brief names them); downstream companies
 * (metal, magnet, motor and vehicle makers, traders) carry descriptive, fictional names, because the flows
 * between them are synthetic and must not be read as statements about real firms. GS1 company prefixes are
 * illustrative: they start with the country's GS1 prefix range but are not real allocations.
 */

export interface DemoParty extends Party {
  readonly key: string;
  /** 7-digit GS1 company prefix (illustrative). */
  readonly prefix: string;
}

export interface DemoLocation extends Location {
  readonly key: string;
  readonly partyKey: string;
  readonly lat: number;
  readonly lon: number;
  /** ISO 8601 offset for eventTimeZoneOffset (standard time; daylight saving ignored). */
  readonly tz: string;
  /** The location may receive material only from this instant (ms since epoch). */
  readonly activeFromMs?: number;
}

type PartySpec = readonly [
  key: string,
  prefix: string,
  name: string,
  country: string,
  roles: readonly PartyRole[],
];

// biome-ignore format: one row per party reads as a table
const partySpecs: readonly PartySpec[] = [
  // China
  ['northern-re', '6901001', 'China Northern Rare Earth (Group) High-Tech', 'CN', ['miner', 'separator', 'metal-maker']],
  ['cre-group', '6901002', 'China Rare Earth Group', 'CN', ['miner', 'separator', 'metal-maker']],
  ['sichuan-mining', '6901003', 'Mianning Maoniuping Mining (Sichuan)', 'CN', ['miner']],
  ['shenghe', '6901004', 'Shenghe Resources', 'CN', ['separator', 'metal-maker']],
  ['ningbo-magnet', '6902001', 'Ningbo NdFeB Works (fictional)', 'CN', ['magnet-maker']],
  ['ganzhou-magnet', '6902002', 'Ganzhou Magnet Co. (fictional)', 'CN', ['magnet-maker']],
  ['baotou-magnet', '6902003', 'Baotou Magnet Co. (fictional)', 'CN', ['magnet-maker']],
  ['hangzhou-smco', '6902004', 'Hangzhou SmCo Magnetics (fictional)', 'CN', ['magnet-maker']],
  ['shenzhen-motor', '6903001', 'Shenzhen E-Drive Motors (fictional)', 'CN', ['component-maker']],
  ['shanghai-motor', '6903002', 'Shanghai Traction Motor Co. (fictional)', 'CN', ['component-maker']],
  ['xinjiang-wind', '6903003', 'Xinjiang Wind Power Equipment (fictional)', 'CN', ['component-maker', 'manufacturer']],
  ['shenzhen-ev', '6904001', 'Shenzhen EV Manufacturing (fictional)', 'CN', ['manufacturer']],
  ['shanghai-ev', '6904002', 'Shanghai EV Assembly (fictional)', 'CN', ['manufacturer']],
  ['shanghai-trader', '6905001', 'Shanghai Rare Earth Trading (fictional)', 'CN', ['trader']],
  ['miit', '6909001', 'Ministry of Industry and Information Technology', 'CN', ['regulator']],
  ['gac', '6909002', 'General Administration of Customs', 'CN', ['regulator']],
  // Other mining countries
  ['kachin-miners', '8830001', 'Kachin ionic-clay operators (aggregate)', 'MM', ['miner']],
  ['mp', '0810001', 'MP Materials', 'US', ['miner', 'separator', 'metal-maker', 'magnet-maker']],
  ['lynas', '9300001', 'Lynas Rare Earths', 'AU', ['miner', 'separator']],
  ['ng-miners', '6150001', 'Jos Plateau monazite producers (aggregate)', 'NG', ['miner']],
  ['th-miners', '8850001', 'Northern Thailand rare-earth miners (aggregate)', 'TH', ['miner']],
  ['irel', '8900001', 'IREL (India)', 'IN', ['miner', 'separator']],
  ['lovozero', '4600001', 'Lovozero Mining Company', 'RU', ['miner']],
  ['solikamsk', '4600002', 'Solikamsk Magnesium Works', 'RU', ['separator']],
  ['mg-miners', '6260001', 'Fort-Dauphin mineral sands (aggregate)', 'MG', ['miner']],
  ['vn-miners', '8930001', 'Dong Pao rare-earth mine (Lai Chau)', 'VN', ['miner']],
  ['my-miners', '9550001', 'Perak amang processors (aggregate)', 'MY', ['miner']],
  ['serra-verde', '7890001', 'Serra Verde Mining', 'BR', ['miner']],
  ['laos-miners', '8870001', 'Laos ionic-clay operators (aggregate, illustrative)', 'LA', ['miner']],
  // Separation, metal and magnets outside China
  ['solvay', '3000001', 'Solvay La Rochelle', 'FR', ['separator']],
  ['neo-silmet', '4740001', 'NPM Silmet (Neo Performance Materials)', 'EE', ['separator']],
  ['vn-metal', '8930002', 'Hai Phong Rare Earth Metals (fictional)', 'VN', ['metal-maker']],
  ['jp-metal', '4500001', 'Kitakyushu RE Metals (fictional)', 'JP', ['metal-maker']],
  ['lcm', '5000001', 'Less Common Metals', 'GB', ['metal-maker']],
  ['jp-magnet', '4500002', 'Takefu Magnet Works (fictional)', 'JP', ['magnet-maker']],
  ['de-magnet', '4000001', 'Hanau Magnet Works (fictional)', 'DE', ['magnet-maker']],
  ['kr-magnet', '8800001', 'Gyeonggi Magnet (fictional)', 'KR', ['magnet-maker']],
  ['us-smco', '0810006', 'Lancaster SmCo Magnetics (fictional)', 'US', ['magnet-maker']],
  // Motors and products
  ['jp-motor', '4500003', 'Kyoto Traction Motors (fictional)', 'JP', ['component-maker']],
  ['jp-ev', '4500004', 'Aichi EV Assembly (fictional)', 'JP', ['manufacturer']],
  ['de-motor', '4000002', 'Stuttgart E-Motor (fictional)', 'DE', ['component-maker']],
  ['de-ev', '4000003', 'Wolfsburg EV Assembly (fictional)', 'DE', ['manufacturer']],
  ['de-wind', '4000004', 'Cuxhaven Wind Generators (fictional)', 'DE', ['component-maker', 'manufacturer']],
  ['us-motor', '0810002', 'Austin E-Motor Co. (fictional)', 'US', ['component-maker']],
  ['us-ev', '0810003', 'Austin EV Assembly (fictional)', 'US', ['manufacturer']],
  ['us-actuator', '0810004', 'Phoenix Aero Actuators (fictional)', 'US', ['component-maker']],
  ['us-aircraft', '0810005', 'Fort Worth Aircraft Assembly (fictional)', 'US', ['manufacturer']],
  ['kr-motor', '8800002', 'Ulsan Traction Motor (fictional)', 'KR', ['component-maker']],
  ['kr-ev', '8800003', 'Ulsan EV Assembly (fictional)', 'KR', ['manufacturer']],
  // Traders in third countries
  ['sg-trader', '8880001', 'Singapore Rare Earth Trading (fictional)', 'SG', ['trader']],
  ['nl-trader', '8700001', 'Rotterdam Metals Trading (fictional)', 'NL', ['trader']],
  ['ae-trader', '6290001', 'Jebel Ali Metals (fictional)', 'AE', ['trader']],
  ['jp-trader', '4500005', 'Tokyo Rare Earth Trading (fictional)', 'JP', ['trader']],
];

type LocationSpec = readonly [
  key: string,
  partyKey: string,
  name: string,
  kind: LocationKind,
  country: string,
  lat: number,
  lon: number,
  tz: string,
  activeFrom?: string,
];

// biome-ignore format: one row per location reads as a table
const locationSpecs: readonly LocationSpec[] = [
  // Mines (coordinates approximate, public)
  ['bayan-obo', 'northern-re', 'Bayan Obo mine', 'mine', 'CN', 41.78, 109.97, '+08:00'],
  ['maoniuping', 'sichuan-mining', 'Maoniuping mine (Mianning)', 'mine', 'CN', 28.45, 102.05, '+08:00'],
  ['longnan', 'cre-group', 'Longnan ion-adsorption mines (Jiangxi)', 'mine', 'CN', 24.91, 114.79, '+08:00'],
  ['pingyuan', 'cre-group', 'Pingyuan ion-adsorption mines (Guangdong)', 'mine', 'CN', 24.57, 115.89, '+08:00'],
  ['kachin', 'kachin-miners', 'Pangwa / Chipwi ionic-clay mines (Kachin)', 'mine', 'MM', 25.87, 98.4, '+06:30'],
  ['mountain-pass', 'mp', 'Mountain Pass mine', 'mine', 'US', 35.48, -115.53, '-08:00'],
  ['mount-weld', 'lynas', 'Mount Weld mine', 'mine', 'AU', -28.86, 122.55, '+08:00'],
  ['jos', 'ng-miners', 'Jos Plateau monazite workings', 'mine', 'NG', 9.9, 8.9, '+01:00'],
  ['th-mine', 'th-miners', 'Northern Thailand ionic-clay workings', 'mine', 'TH', 19.9, 99.85, '+07:00'],
  ['chavara', 'irel', 'Chavara mineral sands', 'mine', 'IN', 8.99, 76.53, '+05:30'],
  ['lovozero', 'lovozero', 'Karnasurt mine (Lovozero)', 'mine', 'RU', 67.85, 34.75, '+03:00'],
  ['fort-dauphin', 'mg-miners', 'Fort-Dauphin mineral sands', 'mine', 'MG', -24.95, 46.95, '+03:00'],
  ['dong-pao', 'vn-miners', 'Dong Pao mine', 'mine', 'VN', 22.38, 103.4, '+07:00'],
  ['perak', 'my-miners', 'Perak amang (tin tailings) plants', 'mine', 'MY', 4.6, 101.1, '+08:00'],
  ['serra-verde', 'serra-verde', 'Serra Verde ionic-clay mine (Minaçu)', 'mine', 'BR', -13.53, -48.22, '-03:00'],
  ['laos-mine', 'laos-miners', 'Northern Laos ionic-clay workings (illustrative)', 'mine', 'LA', 21.68, 102.1, '+07:00'],
  // Cracking and separation
  ['baotou-sep', 'northern-re', 'Baotou separation plant', 'plant', 'CN', 40.65, 109.84, '+08:00'],
  ['ganzhou-sep', 'cre-group', 'Ganzhou separation plant', 'plant', 'CN', 25.83, 114.93, '+08:00'],
  ['chongzuo-sep', 'cre-group', 'Chongzuo separation plant (Guangxi)', 'plant', 'CN', 22.38, 107.35, '+08:00'],
  ['leshan-sep', 'shenghe', 'Leshan separation plant', 'plant', 'CN', 29.55, 103.77, '+08:00'],
  ['kalgoorlie', 'lynas', 'Lynas Kalgoorlie cracking and leaching plant', 'plant', 'AU', -30.75, 121.47, '+08:00'],
  ['kuantan', 'lynas', 'Lynas Advanced Materials Plant (Kuantan)', 'plant', 'MY', 3.97, 103.38, '+08:00'],
  [
    'mp-sep',
    'mp',
    'Mountain Pass separation facility',
    'plant',
    'US',
    35.47,
    -115.52,
    '-08:00',
    routeDates.mpSeparation.value,
  ],
  ['mp-stockpile', 'mp', 'Mountain Pass concentrate stockpile', 'warehouse', 'US', 35.49, -115.54, '-08:00'],
  ['la-rochelle', 'solvay', 'Solvay La Rochelle plant', 'plant', 'FR', 46.16, -1.15, '+01:00'],
  ['sillamae', 'neo-silmet', 'NPM Silmet plant (Sillamäe)', 'plant', 'EE', 59.4, 27.76, '+02:00'],
  ['aluva', 'irel', 'IREL Rare Earths Division (Aluva)', 'plant', 'IN', 10.08, 76.33, '+05:30'],
  ['solikamsk', 'solikamsk', 'Solikamsk magnesium works', 'plant', 'RU', 59.63, 56.77, '+05:00'],
  // Metal makers
  ['baotou-metal', 'northern-re', 'Baotou rare-earth metal plant', 'plant', 'CN', 40.6, 109.9, '+08:00'],
  ['ganzhou-metal', 'cre-group', 'Ganzhou rare-earth metal plant', 'plant', 'CN', 25.85, 114.95, '+08:00'],
  ['leshan-metal', 'shenghe', 'Leshan rare-earth metal plant', 'plant', 'CN', 29.57, 103.75, '+08:00'],
  ['haiphong-metal', 'vn-metal', 'Hai Phong rare-earth metal plant', 'plant', 'VN', 20.86, 106.68, '+07:00'],
  ['kitakyushu-metal', 'jp-metal', 'Kitakyushu rare-earth metal plant', 'plant', 'JP', 33.88, 130.88, '+09:00'],
  ['lcm-plant', 'lcm', 'Less Common Metals (Ellesmere Port)', 'plant', 'GB', 53.28, -2.9, '+00:00'],
  [
    'mp-fortworth',
    'mp',
    'MP Independence metal, alloy and magnet plant (Fort Worth)',
    'plant',
    'US',
    32.76,
    -97.33,
    '-06:00',
    routeDates.mpMagnets.value,
  ],
  // Magnet makers
  ['ningbo-magnet', 'ningbo-magnet', 'Ningbo sintered NdFeB plant', 'plant', 'CN', 29.87, 121.54, '+08:00'],
  ['ganzhou-magnet', 'ganzhou-magnet', 'Ganzhou sintered NdFeB plant', 'plant', 'CN', 25.8, 114.9, '+08:00'],
  ['baotou-magnet', 'baotou-magnet', 'Baotou sintered NdFeB plant', 'plant', 'CN', 40.62, 110.05, '+08:00'],
  ['hangzhou-smco', 'hangzhou-smco', 'Hangzhou SmCo magnet plant', 'plant', 'CN', 30.27, 120.15, '+08:00'],
  ['takefu-magnet', 'jp-magnet', 'Takefu sintered NdFeB plant', 'plant', 'JP', 35.9, 136.17, '+09:00'],
  ['hanau-magnet', 'de-magnet', 'Hanau sintered NdFeB plant', 'plant', 'DE', 50.13, 8.92, '+01:00'],
  ['gyeonggi-magnet', 'kr-magnet', 'Gyeonggi sintered NdFeB plant', 'plant', 'KR', 37.27, 127.01, '+09:00'],
  ['lancaster-smco', 'us-smco', 'Lancaster SmCo magnet plant', 'plant', 'US', 40.04, -76.31, '-05:00'],
  // Motors, generators, actuators
  ['shenzhen-motor', 'shenzhen-motor', 'Shenzhen traction motor plant', 'plant', 'CN', 22.65, 114.05, '+08:00'],
  ['shanghai-motor', 'shanghai-motor', 'Shanghai traction motor plant', 'plant', 'CN', 31.1, 121.4, '+08:00'],
  ['urumqi-wind', 'xinjiang-wind', 'Urumqi direct-drive generator and turbine plant', 'plant', 'CN', 43.8, 87.6, '+08:00'],
  ['kyoto-motor', 'jp-motor', 'Kyoto traction motor plant', 'plant', 'JP', 35.01, 135.77, '+09:00'],
  ['stuttgart-motor', 'de-motor', 'Stuttgart traction motor plant', 'plant', 'DE', 48.78, 9.18, '+01:00'],
  ['cuxhaven-wind', 'de-wind', 'Cuxhaven generator and nacelle plant', 'plant', 'DE', 53.87, 8.69, '+01:00'],
  ['austin-motor', 'us-motor', 'Austin traction motor plant', 'plant', 'US', 30.27, -97.74, '-06:00'],
  ['phoenix-actuator', 'us-actuator', 'Phoenix actuator plant', 'plant', 'US', 33.45, -112.07, '-07:00'],
  ['ulsan-motor', 'kr-motor', 'Ulsan traction motor plant', 'plant', 'KR', 35.54, 129.31, '+09:00'],
  // Product assembly
  ['shenzhen-ev', 'shenzhen-ev', 'Shenzhen EV assembly plant', 'plant', 'CN', 22.7, 114.25, '+08:00'],
  ['shanghai-ev', 'shanghai-ev', 'Shanghai EV assembly plant', 'plant', 'CN', 31.0, 121.2, '+08:00'],
  ['aichi-ev', 'jp-ev', 'Aichi EV assembly plant', 'plant', 'JP', 35.08, 137.16, '+09:00'],
  ['wolfsburg-ev', 'de-ev', 'Wolfsburg EV assembly plant', 'plant', 'DE', 52.42, 10.79, '+01:00'],
  ['austin-ev', 'us-ev', 'Austin EV assembly plant', 'plant', 'US', 30.22, -97.62, '-06:00'],
  ['fortworth-aircraft', 'us-aircraft', 'Fort Worth aircraft assembly plant', 'plant', 'US', 32.77, -97.44, '-06:00'],
  ['ulsan-ev', 'kr-ev', 'Ulsan EV assembly plant', 'plant', 'KR', 35.5, 129.38, '+09:00'],
  // Traders' warehouses
  ['shanghai-warehouse', 'shanghai-trader', 'Shanghai bonded warehouse', 'warehouse', 'CN', 31.35, 121.6, '+08:00'],
  ['singapore-warehouse', 'sg-trader', 'Singapore (Jurong) warehouse', 'warehouse', 'SG', 1.3, 103.72, '+08:00'],
  ['rotterdam-warehouse', 'nl-trader', 'Rotterdam (Maasvlakte) warehouse', 'warehouse', 'NL', 51.95, 4.14, '+01:00'],
  ['jebel-ali-warehouse', 'ae-trader', 'Jebel Ali free-zone warehouse', 'warehouse', 'AE', 25.01, 55.06, '+04:00'],
  ['tokyo-warehouse', 'jp-trader', 'Tokyo (Oi) warehouse', 'warehouse', 'JP', 35.6, 139.76, '+09:00'],
  // Customs: ports and a border crossing (GPS waypoints of exports and imports)
  ['tianjin-port', 'gac', 'Tianjin port customs', 'port', 'CN', 38.97, 117.78, '+08:00'],
  ['shanghai-port', 'gac', 'Shanghai Yangshan port customs', 'port', 'CN', 30.62, 122.07, '+08:00'],
  ['shenzhen-port', 'gac', 'Shenzhen Yantian port customs', 'port', 'CN', 22.57, 114.27, '+08:00'],
  ['ruili-border', 'gac', 'Ruili / Jiegao border crossing (Myanmar)', 'border', 'CN', 24.01, 97.85, '+08:00'],
  ['houqiao-border', 'gac', 'Houqiao border crossing (Myanmar, Tengchong)', 'border', 'CN', 25.33, 98.23, '+08:00'],
];

export const demoParties: readonly DemoParty[] = partySpecs.map(([key, prefix, name, country, roles]) => ({
  key,
  prefix,
  id: `urn:epc:id:pgln:${prefix}.00000`,
  name,
  country,
  roles,
}));

const partyByKey = new Map(demoParties.map((party) => [party.key, party]));

export function partyOf(key: string): DemoParty {
  const party = partyByKey.get(key);
  if (party === undefined) throw new Error(`demo world: unknown party ${key}`);
  return party;
}

const locationCounter = new Map<string, number>();
export const demoLocations: readonly DemoLocation[] = locationSpecs.map(
  ([key, partyKey, name, kind, country, lat, lon, tz, activeFrom]) => {
    const party = partyOf(partyKey);
    const n = (locationCounter.get(partyKey) ?? 0) + 1;
    locationCounter.set(partyKey, n);
    return {
      key,
      partyKey,
      id: `urn:epc:id:sgln:${party.prefix}.${String(n).padStart(5, '0')}.0`,
      name,
      kind,
      country,
      partyId: party.id,
      lat,
      lon,
      tz,
      ...(activeFrom === undefined ? {} : { activeFromMs: Date.parse(activeFrom) }),
    };
  },
);

const locationByKey = new Map(demoLocations.map((location) => [location.key, location]));

export function locationOf(key: string): DemoLocation {
  const location = locationByKey.get(key);
  if (location === undefined) throw new Error(`demo world: unknown location ${key}`);
  return location;
}

/** A weighted choice of destination location keys. */
export type Route = readonly (readonly [key: string, weight: number])[];

export interface MineSpec {
  readonly key: string;
  readonly deposit: DepositType;
  /** t REO per year the mine stands for (its weight when a new ore lot is drawn). */
  readonly weight: number;
  /** Where the concentrate goes before `routeDates`-style switches (see `concentrateRoute`). */
  readonly route: Route;
  /** Route from this instant on (ms since epoch), replacing `route`. */
  readonly laterRoute?: { readonly fromMs: number; readonly route: Route };
}

const cn = mineProduction2024.CN?.value ?? 0;
const rockShare =
  chinaQuotaByOreType2023.rock.value /
  (chinaQuotaByOreType2023.rock.value + chinaQuotaByOreType2023.ion.value);
const share = (key: string): number => chinaMineSplit[key]?.value ?? 0;
const country = (code: string): number => mineProduction2024[code]?.value ?? 0;

/** The mines, weighted by USGS MCS 2025 mine production (China split by the 2023 quota's ore types). */
export const mineSpecs: readonly MineSpec[] = [
  {
    key: 'bayan-obo',
    deposit: 'bayan-obo',
    weight: cn * rockShare * share('bayan-obo'),
    route: [['baotou-sep', 1]],
  },
  {
    key: 'maoniuping',
    deposit: 'bastnasite',
    weight: cn * rockShare * share('maoniuping'),
    route: [['leshan-sep', 1]],
  },
  {
    key: 'longnan',
    deposit: 'ionic-heavy',
    weight: cn * (1 - rockShare) * share('longnan'),
    route: [['ganzhou-sep', 1]],
  },
  {
    key: 'pingyuan',
    deposit: 'ionic-light',
    weight: cn * (1 - rockShare) * share('pingyuan'),
    route: [
      ['ganzhou-sep', 0.5],
      ['chongzuo-sep', 0.5],
    ],
  },
  {
    key: 'kachin',
    deposit: 'ionic-heavy',
    weight: country('MM'),
    route: [
      ['chongzuo-sep', 0.5],
      ['ganzhou-sep', 0.5],
    ],
  },
  {
    key: 'mountain-pass',
    deposit: 'bastnasite',
    weight: country('US'),
    // Before April 2025 Mountain Pass concentrate was sold to Shenghe (Leshan); afterwards it is separated at
    // Mountain Pass or stockpiled (routeDates.mpSeparation).
    route: [['leshan-sep', 1]],
    laterRoute: {
      fromMs: Date.parse(routeDates.mpSeparation.value),
      route: [
        ['mp-sep', 0.3],
        ['mp-stockpile', 0.7],
      ],
    },
  },
  { key: 'mount-weld', deposit: 'carbonatite-laterite', weight: country('AU'), route: [['kalgoorlie', 1]] },
  {
    key: 'jos',
    deposit: 'monazite',
    weight: country('NG'),
    route: [
      ['chongzuo-sep', 0.5],
      ['ganzhou-sep', 0.5],
    ],
  },
  { key: 'th-mine', deposit: 'ionic-light', weight: country('TH'), route: [['chongzuo-sep', 1]] },
  { key: 'chavara', deposit: 'monazite', weight: country('IN'), route: [['aluva', 1]] },
  { key: 'lovozero', deposit: 'loparite', weight: country('RU'), route: [['solikamsk', 1]] },
  {
    key: 'fort-dauphin',
    deposit: 'monazite',
    weight: country('MG'),
    route: [
      ['la-rochelle', 0.5],
      ['chongzuo-sep', 0.5],
    ],
  },
  { key: 'dong-pao', deposit: 'bastnasite', weight: country('VN'), route: [['chongzuo-sep', 1]] },
  { key: 'perak', deposit: 'monazite', weight: country('MY'), route: [['chongzuo-sep', 1]] },
  {
    key: 'serra-verde',
    deposit: 'ionic-light',
    weight: country('BR'),
    route: [
      ['sillamae', 0.5],
      ['ganzhou-sep', 0.5],
    ],
  },
  { key: 'laos-mine', deposit: 'ionic-heavy', weight: country('LA'), route: [['ganzhou-sep', 1]] },
];

/**
 * Plants that crack concentrate into a mixed compound. `separateAt` is where the mixed compound is separated
 * (the same plant unless shipped on, as Lynas cracks at Kalgoorlie and separates at Kuantan).
 */
export const crackers: Readonly<Record<string, Route>> = {
  'baotou-sep': [['baotou-sep', 1]],
  'ganzhou-sep': [['ganzhou-sep', 1]],
  'chongzuo-sep': [['chongzuo-sep', 1]],
  'leshan-sep': [['leshan-sep', 1]],
  // [U] illustrative: most Kalgoorlie output goes to Kuantan; small lots feed European separators.
  kalgoorlie: [
    ['kuantan', 0.9],
    ['sillamae', 0.06],
    ['la-rochelle', 0.04],
  ],
  'mp-sep': [['mp-sep', 1]],
  'la-rochelle': [['la-rochelle', 1]],
  sillamae: [['sillamae', 1]],
  aluva: [['aluva', 1]],
  solikamsk: [['solikamsk', 1]],
};

/** Separated-oxide groups: which elements go to which oxide product. */
export type OxideGroup = 'La' | 'Ce' | 'NdPr' | 'Sm' | 'SEG' | 'Tb' | 'Dy' | 'HY';
/** Oxides that are made into metal for magnets; the others are sold as by-products. */
export type MetalGroup = 'NdPr' | 'Sm' | 'Tb' | 'Dy';

const byProductBuyersCn: Route = [
  ['shanghai-warehouse', 0.7],
  ['tokyo-warehouse', 0.1],
  ['rotterdam-warehouse', 0.1],
  ['singapore-warehouse', 0.1],
];
const byProductBuyersAbroad: Route = [
  ['tokyo-warehouse', 0.5],
  ['singapore-warehouse', 0.3],
  ['rotterdam-warehouse', 0.2],
];

interface SeparatorRoutes {
  readonly oxide: Readonly<Record<MetalGroup, Route>>;
  readonly byProducts: Route;
}

/** Where each separator sends its oxides ([U] illustrative, shaped so that China keeps ~94% of magnets). */
export const separatorRoutes: Readonly<Record<string, SeparatorRoutes>> = {
  'baotou-sep': {
    oxide: {
      NdPr: [
        ['baotou-metal', 0.89],
        ['leshan-metal', 0.1],
        ['haiphong-metal', 0.005],
        ['kitakyushu-metal', 0.005],
      ],
      Dy: [['baotou-metal', 1]],
      Tb: [['baotou-metal', 1]],
      Sm: [['baotou-metal', 1]],
    },
    byProducts: byProductBuyersCn,
  },
  'ganzhou-sep': {
    oxide: {
      NdPr: [
        ['ganzhou-metal', 0.985],
        ['haiphong-metal', 0.01],
        ['kitakyushu-metal', 0.005],
      ],
      Dy: [
        ['ganzhou-metal', 0.9],
        ['kitakyushu-metal', 0.1],
      ],
      Tb: [
        ['ganzhou-metal', 0.9],
        ['kitakyushu-metal', 0.1],
      ],
      Sm: [['ganzhou-metal', 1]],
    },
    byProducts: byProductBuyersCn,
  },
  'chongzuo-sep': {
    oxide: {
      NdPr: [
        ['ganzhou-metal', 0.99],
        ['haiphong-metal', 0.01],
      ],
      Dy: [['ganzhou-metal', 1]],
      Tb: [['ganzhou-metal', 1]],
      Sm: [['ganzhou-metal', 1]],
    },
    byProducts: byProductBuyersCn,
  },
  'leshan-sep': {
    oxide: {
      NdPr: [
        ['leshan-metal', 0.99],
        ['kitakyushu-metal', 0.01],
      ],
      Dy: [['leshan-metal', 1]],
      Tb: [['leshan-metal', 1]],
      Sm: [['leshan-metal', 1]],
    },
    byProducts: byProductBuyersCn,
  },
  kuantan: {
    oxide: {
      // [U] Lynas also sells NdPr to Chinese metal makers, which keeps China's magnet share above its
      // separation share (IEA: 91 % separation, 94 % magnets).
      NdPr: [
        ['kitakyushu-metal', 0.2],
        ['ganzhou-metal', 0.6],
        ['haiphong-metal', 0.1],
        ['lcm-plant', 0.1],
      ],
      Dy: [['kitakyushu-metal', 1]],
      Tb: [['kitakyushu-metal', 1]],
      Sm: [['kitakyushu-metal', 1]],
    },
    byProducts: byProductBuyersAbroad,
  },
  'mp-sep': {
    oxide: {
      // [U] MP's own magnet plant takes part of its NdPr oxide; the rest is stockpiled in this world.
      NdPr: [
        ['mp-fortworth', 0.4],
        ['mp-stockpile', 0.6],
      ],
      Dy: [['mp-fortworth', 1]],
      Tb: [['mp-fortworth', 1]],
      Sm: [['kitakyushu-metal', 1]],
    },
    byProducts: byProductBuyersAbroad,
  },
  'la-rochelle': {
    oxide: {
      NdPr: [['lcm-plant', 1]],
      Dy: [['lcm-plant', 1]],
      Tb: [['lcm-plant', 1]],
      Sm: [['lcm-plant', 1]],
    },
    byProducts: [['rotterdam-warehouse', 1]],
  },
  sillamae: {
    oxide: {
      NdPr: [['lcm-plant', 1]],
      Dy: [['lcm-plant', 1]],
      Tb: [['lcm-plant', 1]],
      Sm: [['lcm-plant', 1]],
    },
    byProducts: [['rotterdam-warehouse', 1]],
  },
  aluva: {
    oxide: {
      NdPr: [
        ['kitakyushu-metal', 0.3],
        ['ganzhou-metal', 0.7],
      ],
      Dy: [['kitakyushu-metal', 1]],
      Tb: [['kitakyushu-metal', 1]],
      Sm: [['kitakyushu-metal', 1]],
    },
    byProducts: byProductBuyersAbroad,
  },
  solikamsk: {
    oxide: {
      NdPr: [['jebel-ali-warehouse', 1]],
      Dy: [['jebel-ali-warehouse', 1]],
      Tb: [['jebel-ali-warehouse', 1]],
      Sm: [['jebel-ali-warehouse', 1]],
    },
    byProducts: [['jebel-ali-warehouse', 1]],
  },
};

const cnNdfebMagnets = (own: string): Route => [
  [own, 0.615],
  ['ningbo-magnet', 0.37],
  ['tokyo-warehouse', 0.005],
  ['rotterdam-warehouse', 0.005],
  ['singapore-warehouse', 0.003],
  ['gyeonggi-magnet', 0.002],
];
const cnHeavyMetal: Route = [
  ['ganzhou-magnet', 0.4],
  ['ningbo-magnet', 0.37],
  ['baotou-magnet', 0.19],
  ['takefu-magnet', 0.03],
  ['hanau-magnet', 0.01],
];

/** Where each metal maker sends its metals. */
export const metalRoutes: Readonly<Record<string, Readonly<Record<MetalGroup, Route>>>> = {
  'baotou-metal': {
    NdPr: cnNdfebMagnets('baotou-magnet'),
    Dy: cnHeavyMetal,
    Tb: cnHeavyMetal,
    Sm: [['hangzhou-smco', 1]],
  },
  'ganzhou-metal': {
    NdPr: cnNdfebMagnets('ganzhou-magnet'),
    Dy: cnHeavyMetal,
    Tb: cnHeavyMetal,
    Sm: [
      ['hangzhou-smco', 0.9],
      ['lancaster-smco', 0.1],
    ],
  },
  'leshan-metal': {
    NdPr: cnNdfebMagnets('ningbo-magnet'),
    Dy: cnHeavyMetal,
    Tb: cnHeavyMetal,
    Sm: [['hangzhou-smco', 1]],
  },
  'haiphong-metal': {
    NdPr: [
      ['takefu-magnet', 0.8],
      ['gyeonggi-magnet', 0.2],
    ],
    Dy: [['takefu-magnet', 1]],
    Tb: [['takefu-magnet', 1]],
    Sm: [['lancaster-smco', 1]],
  },
  'kitakyushu-metal': {
    NdPr: [
      ['takefu-magnet', 0.9],
      ['hanau-magnet', 0.1],
    ],
    Dy: [['takefu-magnet', 1]],
    Tb: [['takefu-magnet', 1]],
    Sm: [['lancaster-smco', 1]],
  },
  'lcm-plant': {
    NdPr: [['hanau-magnet', 1]],
    Dy: [['hanau-magnet', 1]],
    Tb: [['hanau-magnet', 1]],
    Sm: [['lancaster-smco', 1]],
  },
  // MP makes metal, alloy and magnets under one roof: the metal stays where it is.
  'mp-fortworth': {
    NdPr: [['mp-fortworth', 1]],
    Dy: [['mp-fortworth', 1]],
    Tb: [['mp-fortworth', 1]],
    Sm: [['lancaster-smco', 1]],
  },
};

const cnMagnetCustomers: Route = [
  ['shenzhen-motor', 0.3],
  ['shanghai-motor', 0.3],
  ['urumqi-wind', 0.12],
  ['stuttgart-motor', 0.06],
  ['cuxhaven-wind', 0.03],
  ['austin-motor', 0.05],
  ['kyoto-motor', 0.04],
  ['ulsan-motor', 0.04],
  ['singapore-warehouse', 0.03],
  ['rotterdam-warehouse', 0.03],
];

/** Where each magnet maker sends its magnets. */
export const magnetRoutes: Readonly<Record<string, Route>> = {
  'ningbo-magnet': cnMagnetCustomers,
  'ganzhou-magnet': cnMagnetCustomers,
  'baotou-magnet': cnMagnetCustomers,
  'takefu-magnet': [
    ['kyoto-motor', 0.7],
    ['austin-motor', 0.2],
    ['stuttgart-motor', 0.1],
  ],
  'hanau-magnet': [
    ['stuttgart-motor', 0.7],
    ['cuxhaven-wind', 0.3],
  ],
  'gyeonggi-magnet': [['ulsan-motor', 1]],
  'mp-fortworth': [['austin-motor', 1]],
  'hangzhou-smco': [['phoenix-actuator', 1]],
  'lancaster-smco': [['phoenix-actuator', 1]],
};

/** Traders resell what they buy: metals to magnet makers, magnets to motor makers; by-products stay. */
export const traderRoutes: Readonly<
  Record<string, { readonly metal: Route; readonly oxide: Route; readonly magnet: Route }>
> = {
  'singapore-warehouse': {
    metal: [
      ['gyeonggi-magnet', 0.5],
      ['takefu-magnet', 0.5],
    ],
    oxide: [['haiphong-metal', 1]],
    magnet: [
      ['ulsan-motor', 0.5],
      ['stuttgart-motor', 0.5],
    ],
  },
  'rotterdam-warehouse': {
    metal: [['hanau-magnet', 1]],
    oxide: [['lcm-plant', 1]],
    magnet: [
      ['stuttgart-motor', 0.7],
      ['cuxhaven-wind', 0.3],
    ],
  },
  'tokyo-warehouse': {
    metal: [['takefu-magnet', 1]],
    oxide: [['kitakyushu-metal', 1]],
    magnet: [['kyoto-motor', 1]],
  },
  'jebel-ali-warehouse': {
    metal: [['gyeonggi-magnet', 1]],
    oxide: [
      ['haiphong-metal', 0.5],
      ['ganzhou-metal', 0.5],
    ],
    magnet: [['ulsan-motor', 1]],
  },
  'shanghai-warehouse': {
    metal: [['ningbo-magnet', 1]],
    oxide: [['ganzhou-metal', 1]],
    magnet: [['shanghai-motor', 1]],
  },
};

export type ComponentKind = 'ev-motor' | 'wind-generator' | 'actuator';

/** Component plants: what they make and where it goes. */
export const componentPlants: Readonly<
  Record<string, { readonly kind: ComponentKind; readonly route: Route }>
> = {
  'shenzhen-motor': {
    kind: 'ev-motor',
    route: [
      ['shenzhen-ev', 0.8],
      ['shanghai-ev', 0.2],
    ],
  },
  'shanghai-motor': {
    kind: 'ev-motor',
    route: [
      ['shanghai-ev', 0.9],
      ['wolfsburg-ev', 0.1],
    ],
  },
  'urumqi-wind': { kind: 'wind-generator', route: [['urumqi-wind', 1]] },
  'kyoto-motor': { kind: 'ev-motor', route: [['aichi-ev', 1]] },
  'stuttgart-motor': { kind: 'ev-motor', route: [['wolfsburg-ev', 1]] },
  'cuxhaven-wind': { kind: 'wind-generator', route: [['cuxhaven-wind', 1]] },
  'austin-motor': { kind: 'ev-motor', route: [['austin-ev', 1]] },
  'phoenix-actuator': { kind: 'actuator', route: [['fortworth-aircraft', 1]] },
  'ulsan-motor': { kind: 'ev-motor', route: [['ulsan-ev', 1]] },
};

/** Where finished products go, if anywhere (exports of vehicles to importers). */
export const productRoutes: Readonly<Record<string, { readonly share: number; readonly route: Route }>> = {
  'shenzhen-ev': {
    share: 0.3,
    route: [
      ['rotterdam-warehouse', 0.5],
      ['singapore-warehouse', 0.5],
    ],
  },
  'shanghai-ev': { share: 0.2, route: [['rotterdam-warehouse', 1]] },
  'aichi-ev': { share: 0.2, route: [['singapore-warehouse', 1]] },
};

/** Chinese customs points a shipment passes when it leaves or enters China (GPS waypoints). */
export const chinaPorts = ['tianjin-port', 'shanghai-port', 'shenzhen-port'] as const;
export const myanmarBorderCrossings = ['ruili-border', 'houqiao-border'] as const;
