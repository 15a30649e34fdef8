/**
 * CBV 2.0 standard vocabularies and how a value is recognised as one of them.
 *
 * In the JSON binding a standard term is written bare (`shipping`, EPCIS 2.0 §9.2 / the EPCIS JSON-LD context
 * types these fields `@vocab`). The same term may also arrive as its CBV 1.x URN
 * (`urn:epcglobal:cbv:bizstep:shipping`, CBV 2.0 §6.2) or its GS1 Web URI
 * (`https://ref.gs1.org/cbv/BizStep-shipping`, CBV 2.0 §6.1). Any other absolute URI is a user-defined
 * value, which CBV 2.0 §6.3 allows. A bare word that is not a CBV term has no meaning and is refused.
 */

/** CBV 2.0 §7.1 business steps (41; `transforming` was withdrawn, gs1/EPCIS PR #8). */
export const BIZ_STEPS: ReadonlySet<string> = new Set([
  'accepting',
  'arriving',
  'assembling',
  'collecting',
  'commissioning',
  'consigning',
  'creating_class_instance',
  'cycle_counting',
  'decommissioning',
  'departing',
  'destroying',
  'disassembling',
  'dispensing',
  'encoding',
  'entering_exiting',
  'holding',
  'inspecting',
  'installing',
  'killing',
  'loading',
  'other',
  'packing',
  'picking',
  'receiving',
  'removing',
  'repackaging',
  'repairing',
  'replacing',
  'reserving',
  'retail_selling',
  'shipping',
  'staging_outbound',
  'stock_taking',
  'stocking',
  'storing',
  'transporting',
  'unloading',
  'unpacking',
  'void_shipping',
  'sensor_reporting',
  'sampling',
]);

/** CBV 2.0 §7.2 dispositions (33). */
export const DISPOSITIONS: ReadonlySet<string> = new Set([
  'active',
  'container_closed',
  'damaged',
  'destroyed',
  'dispensed',
  'disposed',
  'encoded',
  'expired',
  'in_progress',
  'in_transit',
  'inactive',
  'no_pedigree_match',
  'non_sellable_other',
  'partially_dispensed',
  'recalled',
  'reserved',
  'retail_sold',
  'returned',
  'sellable_accessible',
  'sellable_not_accessible',
  'stolen',
  'unknown',
  'available',
  'completeness_verified',
  'completeness_inferred',
  'conformant',
  'container_open',
  'mismatch_instance',
  'mismatch_class',
  'mismatch_quantity',
  'needs_replacement',
  'non_conformant',
  'unavailable',
]);

/** CBV 2.0 §7.3 business transaction types. */
export const BIZ_TRANSACTION_TYPES: ReadonlySet<string> = new Set([
  'bol',
  'cert',
  'desadv',
  'inv',
  'pedigree',
  'po',
  'poc',
  'prodorder',
  'recadv',
  'rma',
  'testprd',
  'testres',
  'upevt',
]);

/** CBV 2.0 §7.4 source/destination types. */
export const SOURCE_DEST_TYPES: ReadonlySet<string> = new Set([
  'owning_party',
  'possessing_party',
  'location',
]);

/** CBV 2.0 §7.5 error reasons. */
export const ERROR_REASONS: ReadonlySet<string> = new Set(['did_not_occur', 'incorrect_data']);

/** CBV 2.0 §7.6 sensor components. */
export const COMPONENTS: ReadonlySet<string> = new Set([
  'x',
  'y',
  'z',
  'axial_distance',
  'azimuth',
  'height',
  'spherical_radius',
  'polar_angle',
  'elevation_angle',
  'easting',
  'northing',
  'latitude',
  'longitude',
  'altitude',
]);

/** GS1 Web Vocabulary measurement types used by sensorReport `type` (EPCIS 2.0 §7.3.6.2; 72 terms). */
export const MEASUREMENT_TYPES: ReadonlySet<string> = new Set([
  'AbsoluteHumidity',
  'AbsorbedDose',
  'AbsorbedDoseRate',
  'Acceleration',
  'Radioactivity',
  'Altitude',
  'AmountOfSubstance',
  'AmountOfSubstancePerUnitVolume',
  'Angle',
  'AngularAcceleration',
  'AngularMomentum',
  'AngularVelocity',
  'Area',
  'Capacitance',
  'Conductance',
  'Conductivity',
  'Count',
  'Density',
  'Dimensionless',
  'DoseEquivalent',
  'DoseEquivalentRate',
  'DynamicViscosity',
  'ElectricCharge',
  'ElectricCurrent',
  'ElectricCurrentDensity',
  'ElectricFieldStrength',
  'Energy',
  'Exposure',
  'Force',
  'Frequency',
  'Illuminance',
  'Inductance',
  'Irradiance',
  'KinematicViscosity',
  'Length',
  'LinearMomentum',
  'Luminance',
  'LuminousFlux',
  'LuminousIntensity',
  'MagneticFlux',
  'MagneticFluxDensity',
  'MagneticVectorPotential',
  'Mass',
  'MassConcentration',
  'MassFlowRate',
  'MassPerAreaTime',
  'MemoryCapacity',
  'MolalityOfSolute',
  'MolarEnergy',
  'MolarMass',
  'MolarVolume',
  'Power',
  'Pressure',
  'RadiantFlux',
  'RadiantIntensity',
  'RelativeHumidity',
  'Resistance',
  'Resistivity',
  'SolidAngle',
  'SpecificVolume',
  'Speed',
  'SurfaceDensity',
  'SurfaceTension',
  'Temperature',
  'Time',
  'Torque',
  'Voltage',
  'Volume',
  'VolumeFlowRate',
  'VolumeFraction',
  'VolumetricFlux',
  'Wavenumber',
]);

/** GS1 Web Vocabulary sensor alert types (sensorReport `exception`, EPCIS 2.0 §7.3.6.2). */
export const SENSOR_ALERT_TYPES: ReadonlySet<string> = new Set(['ALARM_CONDITION', 'ERROR_CONDITION']);

export type VocabularyKind =
  | 'bizStep'
  | 'disposition'
  | 'bizTransactionType'
  | 'sourceDestType'
  | 'errorReason'
  | 'component'
  | 'measurementType'
  | 'sensorAlertType';

interface VocabularySpec {
  readonly terms: ReadonlySet<string>;
  /** CBV 1.x URN form (CBV 2.0 §6.2), when the vocabulary had one. */
  readonly urn?: string;
  /** The GS1 Web URI prefix a bare term expands to (CBV 2.0 §6.1; GS1 Web Vocabulary for sensor terms). */
  readonly web: string;
  readonly label: string;
  /** Where the standard defines the list. */
  readonly section: string;
}

export const vocabularies: Readonly<Record<VocabularyKind, VocabularySpec>> = {
  bizStep: {
    terms: BIZ_STEPS,
    urn: 'urn:epcglobal:cbv:bizstep:',
    web: 'https://ref.gs1.org/cbv/BizStep-',
    label: 'CBV business step',
    section: 'CBV 2.0 §7.1',
  },
  disposition: {
    terms: DISPOSITIONS,
    urn: 'urn:epcglobal:cbv:disp:',
    web: 'https://ref.gs1.org/cbv/Disp-',
    label: 'CBV disposition',
    section: 'CBV 2.0 §7.2',
  },
  bizTransactionType: {
    terms: BIZ_TRANSACTION_TYPES,
    urn: 'urn:epcglobal:cbv:btt:',
    web: 'https://ref.gs1.org/cbv/BTT-',
    label: 'CBV business transaction type',
    section: 'CBV 2.0 §7.3',
  },
  sourceDestType: {
    terms: SOURCE_DEST_TYPES,
    urn: 'urn:epcglobal:cbv:sdt:',
    web: 'https://ref.gs1.org/cbv/SDT-',
    label: 'CBV source/destination type',
    section: 'CBV 2.0 §7.4',
  },
  errorReason: {
    terms: ERROR_REASONS,
    urn: 'urn:epcglobal:cbv:er:',
    web: 'https://ref.gs1.org/cbv/ER-',
    label: 'CBV error reason',
    section: 'CBV 2.0 §7.5',
  },
  component: {
    terms: COMPONENTS,
    web: 'https://ref.gs1.org/cbv/Comp-',
    label: 'CBV sensor component',
    section: 'CBV 2.0 §7.6',
  },
  measurementType: {
    terms: MEASUREMENT_TYPES,
    web: 'https://gs1.org/voc/',
    label: 'GS1 measurement type',
    section: 'EPCIS 2.0 §7.3.6.2',
  },
  sensorAlertType: {
    terms: SENSOR_ALERT_TYPES,
    web: 'https://gs1.org/voc/',
    label: 'GS1 sensor alert type',
    section: 'EPCIS 2.0 §7.3.6.2',
  },
};

/** CBV 1.x URN prefixes rewritten to GS1 Web URIs wherever they appear (CBV 2.0 §6.2, §8.9 rule 14). */
export const CBV_URN_TO_WEB: readonly (readonly [string, string])[] = [
  ['urn:epcglobal:cbv:bizstep:', 'https://ref.gs1.org/cbv/BizStep-'],
  ['urn:epcglobal:cbv:disp:', 'https://ref.gs1.org/cbv/Disp-'],
  ['urn:epcglobal:cbv:btt:', 'https://ref.gs1.org/cbv/BTT-'],
  ['urn:epcglobal:cbv:sdt:', 'https://ref.gs1.org/cbv/SDT-'],
  ['urn:epcglobal:cbv:er:', 'https://ref.gs1.org/cbv/ER-'],
];

/** Namespaces that belong to GS1: a value inside them must be a real term, not a user extension. */
const RETIRED_CBV = /^https?:\/\/ns\.gs1\.org\/cbv\//;

export type VocabularyVerdict =
  /** A standard term, given as its bare word. */
  | { readonly status: 'standard'; readonly term: string }
  /** An absolute URI outside GS1's namespaces: a user-defined value (CBV 2.0 §6.3). */
  | { readonly status: 'user' }
  | { readonly status: 'invalid'; readonly reason: string };

/**
 * Classify a vocabulary value. `expanded` must already have CURIEs expanded (e.g. `cbv:BizStep-shipping`);
 * `isUri` is the RFC 3986 absolute-URI check used for user values.
 */
export function classifyVocabulary(
  kind: VocabularyKind,
  expanded: string,
  isUri: (value: string) => boolean,
): VocabularyVerdict {
  const spec = vocabularies[kind];
  if (spec.terms.has(expanded)) return { status: 'standard', term: expanded };
  if (expanded.indexOf(':') < 0) {
    return { status: 'invalid', reason: `'${expanded}' is not a ${spec.label} and not a URI` };
  }
  let term: string | undefined;
  if (spec.urn !== undefined && expanded.startsWith(spec.urn)) term = expanded.slice(spec.urn.length);
  else if (expanded.startsWith(spec.web)) term = expanded.slice(spec.web.length);
  if (term !== undefined) {
    // The GS1 namespaces are closed: `urn:epcglobal:cbv:bizstep:foo` is not a user extension (CBV 2.0 §6.3).
    if (spec.terms.has(term)) return { status: 'standard', term };
    return { status: 'invalid', reason: `'${expanded}' is in the GS1 namespace but is not a ${spec.label}` };
  }
  if (RETIRED_CBV.test(expanded) || expanded.startsWith('urn:epcglobal:cbv:')) {
    return { status: 'invalid', reason: `'${expanded}' is not a ${spec.label} in any CBV 2.0 form` };
  }
  if (!isUri(expanded))
    return { status: 'invalid', reason: `'${expanded}' is not a ${spec.label} and not a URI` };
  return { status: 'user' };
}

const ANY_URI = (value: string): boolean => /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(value);

/**
 * A business step as the ledger compares it: the bare CBV word when the value is a standard step in any of
 * its three forms (bare, URN, GS1 Web URI, or the `cbv:` CURIE), otherwise the value as given.
 */
export function normalizeBizStep(value: string): string {
  const v = value.trim();
  const expanded = v.startsWith('cbv:') ? `https://ref.gs1.org/cbv/${v.slice(4)}` : v;
  const verdict = classifyVocabulary('bizStep', expanded, ANY_URI);
  return verdict.status === 'standard' ? verdict.term : v;
}

/** Same as `normalizeBizStep` for dispositions (CBV 2.0 §7.2). */
export function normalizeDisposition(value: string): string {
  const v = value.trim();
  const expanded = v.startsWith('cbv:') ? `https://ref.gs1.org/cbv/${v.slice(4)}` : v;
  const verdict = classifyVocabulary('disposition', expanded, ANY_URI);
  return verdict.status === 'standard' ? verdict.term : v;
}
