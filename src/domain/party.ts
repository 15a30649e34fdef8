/** Parties (enterprises and authorities) and their roles in the chain. */
export const partyRoles = [
  'miner',
  'separator',
  'metal-maker',
  'magnet-maker',
  'component-maker',
  'manufacturer',
  'trader',
  'recycler',
  'regulator',
  'auditor',
] as const;
export type PartyRole = (typeof partyRoles)[number];

export function isPartyRole(value: string): value is PartyRole {
  return (partyRoles as readonly string[]).includes(value);
}

export interface Party {
  /** A GS1 party id (urn:epc:id:pgln:…, or a https://id.gs1.org/417/… Digital Link), or another stable URI. */
  readonly id: string;
  readonly name: string;
  /** ISO 3166-1 alpha-2 country of registration. */
  readonly country: string;
  readonly roles: readonly PartyRole[];
}

export const locationKinds = ['mine', 'plant', 'port', 'warehouse', 'border', 'other'] as const;
export type LocationKind = (typeof locationKinds)[number];

export function isLocationKind(value: string): value is LocationKind {
  return (locationKinds as readonly string[]).includes(value);
}

export interface Location {
  /** urn:epc:id:sgln:…, https://id.gs1.org/414/… or a geo: URI. */
  readonly id: string;
  readonly name: string;
  readonly kind: LocationKind;
  /** ISO 3166-1 alpha-2. */
  readonly country: string;
  /** The party that operates the location. */
  readonly partyId: string;
  readonly lat?: number;
  readonly lon?: number;
}

const countryPattern = /^[A-Z]{2}$/;
export function isCountryCode(value: string): boolean {
  return countryPattern.test(value);
}
