import type { Element } from '../domain/elements.js';
import type { MaterialForm } from '../domain/forms.js';
import type { Composition, Lot } from '../domain/lot.js';
import {
  blendOrigin,
  distributeElementValues,
  elementValuesByMass,
  type LotOrigin,
  scaleElementValues,
  uniformOrigin,
} from '../domain/origin.js';
import type { Location, Party } from '../domain/party.js';
import type {
  ControlsLedger,
  FactFilter,
  Genealogy,
  GenealogyStep,
  LedgerFact,
  Ownership,
  StepKind,
} from './ports.js';

/**
 * An in-memory ControlsLedger built from hand-made lots, for tests, the bench and the CLI's file mode. It
 * derives origin and element values with the same domain functions the ledger uses (origin.ts), so the
 * numbers match what the real ledger would carry.
 */
export class FakeLedger implements ControlsLedger {
  readonly lots = new Map<string, Lot>();
  readonly parties = new Map<string, Party>();
  readonly locations = new Map<string, Location>();
  readonly owners = new Map<string, Ownership[]>();
  readonly steps: GenealogyStep[] = [];
  readonly producedBy = new Map<string, GenealogyStep>();
  readonly factList: LedgerFact[] = [];
  private seq = 0;

  /**
   * A ledger loaded from a JSON snapshot (`raretrace screen` and `compliance` work on files): lots as the
   * ledger holds them, the steps that made them, parties, locations, ownership and facts.
   */
  static fromSnapshot(snapshot: LedgerSnapshot): FakeLedger {
    const ledger = new FakeLedger();
    for (const party of snapshot.parties ?? []) ledger.addParty(party);
    for (const location of snapshot.locations ?? []) ledger.addLocation(location);
    for (const o of snapshot.owners ?? []) ledger.addOwner(o.partyId, o.ownerId, o.share);
    for (const lot of snapshot.lots ?? []) ledger.lots.set(lot.id, lot);
    for (const step of snapshot.steps ?? []) ledger.record(step);
    for (const fact of snapshot.facts ?? []) ledger.factList.push(fact);
    return ledger;
  }

  /** The ledger as a JSON-able snapshot. */
  toSnapshot(): LedgerSnapshot {
    const owners: { partyId: string; ownerId: string; share: number }[] = [];
    for (const [partyId, list] of this.owners) for (const o of list) owners.push({ partyId, ...o });
    return {
      parties: [...this.parties.values()],
      locations: [...this.locations.values()],
      owners,
      lots: [...this.lots.values()],
      steps: this.steps,
      facts: this.factList,
    };
  }

  addParty(party: Party): this {
    this.parties.set(party.id, party);
    return this;
  }

  addLocation(location: Location): this {
    this.locations.set(location.id, location);
    return this;
  }

  addOwner(partyId: string, ownerId: string, share: number): this {
    this.owners.set(partyId, [...(this.owners.get(partyId) ?? []), { ownerId, share }]);
    return this;
  }

  addFact(fact: Omit<LedgerFact, 'seq'>): this {
    this.factList.push({ ...fact, seq: ++this.seq });
    return this;
  }

  private country(locationId: string): string {
    return this.locations.get(locationId)?.country ?? 'XX';
  }

  /**
   * Commissions a lot: at a mine the origin is the mine's country, elsewhere the declared one (or XX).
   */
  commission(args: {
    id: string;
    form: MaterialForm;
    massMg: number;
    composition: Composition;
    valueCents?: number;
    locationId: string;
    partyId: string;
    eventTime?: number;
    origin?: { mining: string; separation: string };
    hsCode?: string;
  }): Lot {
    const location = this.locations.get(args.locationId);
    const atMine = location?.kind === 'mine';
    const mining = atMine ? (location?.country ?? 'XX') : (args.origin?.mining ?? 'XX');
    const separation = atMine ? 'none' : (args.origin?.separation ?? 'XX');
    const origin = uniformOrigin(args.composition, mining, separation);
    const valueCents = args.valueCents ?? 0;
    const seq = ++this.seq;
    const lot = this.makeLot(
      args.id,
      args.form,
      args.massMg,
      args.composition,
      valueCents,
      elementValuesByMass(args.composition, valueCents),
      origin,
      args,
      seq,
      args.hsCode,
    );
    const kind: StepKind = atMine ? 'mining' : 'commissioning';
    this.record({
      seq,
      eventTime: args.eventTime ?? 0,
      kind,
      partyId: args.partyId,
      locationId: args.locationId,
      country: this.country(args.locationId),
      inputs: [],
      outputs: [{ lotId: lot.id, massMg: lot.massMg }],
    });
    return lot;
  }

  /** A transformation: consumes inputs, creates outputs with blended origin and distributed value. */
  transform(args: {
    process: Exclude<StepKind, 'mining' | 'commissioning'>;
    inputs: readonly { lotId: string; consumedMg: number }[];
    outputs: readonly {
      id: string;
      form: MaterialForm;
      massMg: number;
      composition: Composition;
      valueCents?: number;
      hsCode?: string;
    }[];
    locationId: string;
    partyId: string;
    eventTime?: number;
  }): Lot[] {
    const country = this.country(args.locationId);
    const contributions = args.inputs.map((input) => {
      const lot = this.lots.get(input.lotId);
      if (lot === undefined) throw new Error(`unknown input ${input.lotId}`);
      this.lots.set(lot.id, {
        ...lot,
        remainingMg: lot.remainingMg - input.consumedMg,
        status: lot.remainingMg === input.consumedMg ? 'consumed' : lot.status,
      });
      return {
        composition: lot.composition,
        origin: lot.origin,
        consumedMg: input.consumedMg,
        consumedElementValues: scaleElementValues(lot.elementValues, input.consumedMg / lot.massMg),
      };
    });
    const origin = blendOrigin(contributions, args.process === 'separation' ? country : undefined);
    const values = distributeElementValues(
      contributions.map((c) => c.consumedElementValues),
      args.outputs,
    );
    const seq = ++this.seq;
    const lots = args.outputs.map((out, i) => {
      const elementValues = values[i] ?? {};
      let total = 0;
      for (const v of Object.values(elementValues)) total += v;
      const valueCents = out.valueCents ?? Math.round(total);
      return this.makeLot(
        out.id,
        out.form,
        out.massMg,
        out.composition,
        valueCents,
        out.valueCents === undefined
          ? elementValues
          : scaleElementValues(elementValues, total > 0 ? valueCents / total : 0),
        origin,
        args,
        seq,
        out.hsCode,
      );
    });
    this.record({
      seq,
      eventTime: args.eventTime ?? 0,
      kind: args.process,
      partyId: args.partyId,
      locationId: args.locationId,
      country,
      inputs: args.inputs,
      outputs: lots.map((l) => ({ lotId: l.id, massMg: l.massMg })),
    });
    return lots;
  }

  private makeLot(
    id: string,
    form: MaterialForm,
    massMg: number,
    composition: Composition,
    valueCents: number,
    elementValues: Partial<Record<Element, number>>,
    origin: LotOrigin,
    at: { locationId: string; partyId: string; eventTime?: number },
    seq: number,
    hsCode?: string,
  ): Lot {
    const lot: Lot = {
      id,
      form,
      hsCode: hsCode ?? defaultHs[form],
      massMg,
      remainingMg: massMg,
      composition,
      valueCents,
      elementValues,
      origin,
      holderId: at.partyId,
      locationId: at.locationId,
      status: 'held',
      createdSeq: seq,
      updatedSeq: seq,
      createdAt: at.eventTime ?? 0,
    };
    this.lots.set(id, lot);
    return lot;
  }

  private record(step: GenealogyStep): void {
    this.steps.push(step);
    for (const out of step.outputs) this.producedBy.set(out.lotId, step);
  }

  async getLot(id: string): Promise<Lot | undefined> {
    return this.lots.get(id);
  }

  upstreamSync(id: string, maxDepth = 64): Genealogy | undefined {
    const root = this.lots.get(id);
    if (root === undefined) return undefined;
    const lots = new Map<string, Lot>([[id, root]]);
    const steps: GenealogyStep[] = [];
    let truncated = false;
    let frontier = [id];
    for (let depth = 0; frontier.length > 0; depth++) {
      const next: string[] = [];
      for (const lotId of frontier) {
        const step = this.producedBy.get(lotId);
        if (step === undefined || steps.includes(step)) continue;
        if (depth >= maxDepth) {
          truncated = true;
          continue;
        }
        steps.push(step);
        for (const input of step.inputs) {
          const lot = this.lots.get(input.lotId);
          if (lot !== undefined && !lots.has(lot.id)) {
            lots.set(lot.id, lot);
            next.push(lot.id);
          }
        }
      }
      frontier = next;
    }
    return { root, lots, steps, truncated };
  }

  async upstream(id: string, maxDepth = 64): Promise<Genealogy | undefined> {
    return this.upstreamSync(id, maxDepth);
  }

  async getParty(id: string): Promise<Party | undefined> {
    return this.parties.get(id);
  }

  async getLocation(id: string): Promise<Location | undefined> {
    return this.locations.get(id);
  }

  async ownersOf(partyId: string): Promise<readonly Ownership[]> {
    return this.owners.get(partyId) ?? [];
  }

  async *facts(filter: FactFilter): AsyncIterable<LedgerFact> {
    for (const fact of this.factList) {
      if (filter.partyId !== undefined && fact.partyId !== filter.partyId) continue;
      if (filter.fromMs !== undefined && fact.eventTime < filter.fromMs) continue;
      if (filter.toMs !== undefined && fact.eventTime >= filter.toMs) continue;
      if (filter.kinds !== undefined && !filter.kinds.includes(fact.kind)) continue;
      yield fact;
    }
  }
}

export interface LedgerSnapshot {
  readonly parties?: readonly Party[];
  readonly locations?: readonly Location[];
  readonly owners?: readonly { readonly partyId: string; readonly ownerId: string; readonly share: number }[];
  readonly lots?: readonly Lot[];
  readonly steps?: readonly GenealogyStep[];
  readonly facts?: readonly LedgerFact[];
}

const defaultHs: Record<MaterialForm, string> = {
  ore: '253090',
  concentrate: '253090',
  'mixed-compound': '284690',
  'separated-oxide': '284690',
  metal: '280530',
  alloy: '280530',
  'magnet-sintered-ndfeb': '850511',
  'magnet-bonded-ndfeb': '850519',
  'magnet-smco': '850511',
  component: '850132',
  product: '870380',
  'feedstock-other': '720299',
  scrap: '850590',
};

/**
 * A ten-step mine-to-motor chain used by tests and the bench: Chinese or foreign mining and separation, a
 * Dy metal made in `metalCountry`, an NdFeB magnet made in `magnetCountry` and a motor in `motorCountry`.
 */
export function buildMagnetChain(
  ledger: FakeLedger,
  prefix: string,
  countries: { mine: string; separation: string; metal: string; magnet: string; motor: string },
): { motorId: string; magnetId: string; dyMetalId: string } {
  const t = 1_735_689_600_000; // 2025-01-01
  const loc = (kind: 'mine' | 'plant', country: string): string => {
    const id = `urn:epc:id:sgln:${prefix}.${kind}.${country}`;
    if (!ledger.locations.has(id))
      ledger.addLocation({ id, name: `${kind} ${country}`, kind, country, partyId: `party:${country}` });
    if (!ledger.parties.has(`party:${country}`))
      ledger.addParty({
        id: `party:${country}`,
        name: `Enterprise ${country}`,
        country,
        roles: ['manufacturer'],
      });
    return id;
  };
  const p = (c: string): string => `party:${c}`;
  const ore = ledger.commission({
    id: `${prefix}:ore`,
    form: 'ore',
    massMg: 1_000_000_000_000,
    composition: { Nd: 0.01, Pr: 0.003, Dy: 0.0005, Fe: 0.3 },
    valueCents: 8_000_000,
    locationId: loc('mine', countries.mine),
    partyId: p(countries.mine),
    eventTime: t,
  });
  const [conc] = ledger.transform({
    process: 'beneficiation',
    inputs: [{ lotId: ore.id, consumedMg: ore.massMg }],
    outputs: [
      {
        id: `${prefix}:conc`,
        form: 'concentrate',
        massMg: 200_000_000_000,
        composition: { Nd: 0.05, Pr: 0.015, Dy: 0.0025, Fe: 0.1 },
      },
    ],
    locationId: loc('mine', countries.mine),
    partyId: p(countries.mine),
    eventTime: t + 1,
  });
  const [cracked] = ledger.transform({
    process: 'cracking',
    inputs: [{ lotId: conc!.id, consumedMg: conc!.massMg }],
    outputs: [
      {
        id: `${prefix}:mixed`,
        form: 'mixed-compound',
        massMg: 40_000_000_000,
        composition: { Nd: 0.25, Pr: 0.075, Dy: 0.0125 },
      },
    ],
    locationId: loc('plant', countries.separation),
    partyId: p(countries.separation),
    eventTime: t + 2,
  });
  const [ndpr, dyox] = ledger.transform({
    process: 'separation',
    inputs: [{ lotId: cracked!.id, consumedMg: cracked!.massMg }],
    outputs: [
      {
        id: `${prefix}:ndpr-oxide`,
        form: 'separated-oxide',
        massMg: 15_000_000_000,
        composition: { Nd: 0.66, Pr: 0.2 },
      },
      { id: `${prefix}:dy-oxide`, form: 'separated-oxide', massMg: 570_000_000, composition: { Dy: 0.87 } },
    ],
    locationId: loc('plant', countries.separation),
    partyId: p(countries.separation),
    eventTime: t + 3,
  });
  const [ndprMetal] = ledger.transform({
    process: 'metal-making',
    inputs: [{ lotId: ndpr!.id, consumedMg: ndpr!.massMg }],
    outputs: [
      {
        id: `${prefix}:ndpr-metal`,
        form: 'metal',
        massMg: 12_900_000_000,
        composition: { Nd: 0.767, Pr: 0.233 },
      },
    ],
    locationId: loc('plant', countries.metal),
    partyId: p(countries.metal),
    eventTime: t + 4,
  });
  const [dyMetal] = ledger.transform({
    process: 'metal-making',
    inputs: [{ lotId: dyox!.id, consumedMg: dyox!.massMg }],
    outputs: [{ id: `${prefix}:dy-metal`, form: 'metal', massMg: 496_000_000, composition: { Dy: 1 } }],
    locationId: loc('plant', countries.metal),
    partyId: p(countries.metal),
    eventTime: t + 5,
  });
  const iron = ledger.commission({
    id: `${prefix}:iron`,
    form: 'feedstock-other',
    massMg: 40_000_000_000,
    composition: { Fe: 0.99, B: 0.01 },
    valueCents: 2_000_000,
    locationId: loc('plant', countries.magnet),
    partyId: p(countries.magnet),
    origin: { mining: 'AU', separation: 'AU' },
    eventTime: t + 6,
  });
  const [alloy] = ledger.transform({
    process: 'alloying',
    inputs: [
      { lotId: ndprMetal!.id, consumedMg: 12_900_000_000 },
      { lotId: dyMetal!.id, consumedMg: 496_000_000 },
      { lotId: iron.id, consumedMg: 26_000_000_000 },
    ],
    outputs: [
      {
        id: `${prefix}:alloy`,
        form: 'alloy',
        massMg: 39_300_000_000,
        composition: { Nd: 0.2518, Pr: 0.0765, Dy: 0.0126, Fe: 0.655, B: 0.0066 },
      },
    ],
    locationId: loc('plant', countries.magnet),
    partyId: p(countries.magnet),
    eventTime: t + 7,
  });
  const [magnet] = ledger.transform({
    process: 'magnet-making',
    inputs: [{ lotId: alloy!.id, consumedMg: alloy!.massMg }],
    outputs: [
      {
        id: `${prefix}:magnet`,
        form: 'magnet-sintered-ndfeb',
        massMg: 38_000_000_000,
        composition: { Nd: 0.2518, Pr: 0.0765, Dy: 0.0126, Fe: 0.655, B: 0.0066 },
        valueCents: 300_000_000,
      },
    ],
    locationId: loc('plant', countries.magnet),
    partyId: p(countries.magnet),
    eventTime: t + 8,
  });
  const housing = ledger.commission({
    id: `${prefix}:housing`,
    form: 'feedstock-other',
    massMg: 1_000_000_000_000,
    composition: { Fe: 0.98 },
    valueCents: 400_000_000,
    locationId: loc('plant', countries.motor),
    partyId: p(countries.motor),
    origin: { mining: 'SE', separation: 'SE' },
    eventTime: t + 9,
  });
  const [motor] = ledger.transform({
    process: 'component-assembly',
    inputs: [
      { lotId: magnet!.id, consumedMg: magnet!.massMg },
      { lotId: housing.id, consumedMg: 1_000_000_000_000 },
    ],
    outputs: [
      {
        id: `${prefix}:motor`,
        form: 'component',
        massMg: 1_038_000_000_000,
        composition: { Nd: 0.00922, Pr: 0.0028, Dy: 0.000461, Fe: 0.968 },
        valueCents: 2_000_000_000,
      },
    ],
    locationId: loc('plant', countries.motor),
    partyId: p(countries.motor),
    eventTime: t + 10,
  });
  return { motorId: motor!.id, magnetId: magnet!.id, dyMetalId: dyMetal!.id };
}
