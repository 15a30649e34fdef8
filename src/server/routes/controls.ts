import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  buildCertificate,
  type CertificateReceipt,
  renderCertificateHtml,
  signCertificateWithKey,
  verifyCertificate,
} from '../../controls/certificates.js';
import { checkCrma, checkDfars } from '../../controls/compliance.js';
import { parseAsOf } from '../../controls/dates.js';
import { type EndUse, endUses } from '../../controls/export-rules.js';
import { licenceStatuses } from '../../controls/licence-types.js';
import {
  applyForLicence,
  approveLicence,
  decisionDueBy,
  denyLicence,
  drawDownLicence,
  InMemoryLicenceRepository,
  type LicenceRepository,
  type LicenceStatus,
  parseLicenceApplication,
  reviewLicence,
  revokeLicence,
  statusOn,
  updateLicence,
} from '../../controls/licences.js';
import { assessPenalty, parsePenaltyRequest } from '../../controls/penalties.js';
import type { ControlsLedger } from '../../controls/ports.js';
import { deriveUsage, monthlyFlowReport, monthlyReportCsv, quotaLines } from '../../controls/quotas.js';
import { type ControlRules, loadControlRules } from '../../controls/rules.js';
import { parseScreeningRequest, screen } from '../../controls/screening.js';
import { Problem } from '../../core/errors.js';
import { type Element, isElement } from '../../domain/elements.js';
import { isCountryCode } from '../../domain/party.js';
import { problemHandler } from '../problems.js';

export interface ControlsRoutesOptions {
  /** The ledger's read port for controls. */
  readonly ledger: ControlsLedger;
  /** Rule data; loaded from data/controls when absent. */
  readonly rules?: ControlRules;
  /** Where licences live; an in-memory repository when absent (tests, demos). */
  readonly licences?: LicenceRepository;
  /** The log's signer key (`PRIVATE+KEY+…`) for end-use certificates; without it certificates are refused. */
  readonly signerKey?: string;
  readonly issuer?: string;
  /**
   * Called before each route with the action name (`screen`, `licence:approve`, …); throw a Problem to
   * refuse. The server wires its token auth here; absent = open (tests).
   */
  readonly authorize?: (request: FastifyRequest, action: string) => Promise<void>;
}

function body(request: FastifyRequest): Record<string, unknown> {
  const b = request.body;
  if (typeof b !== 'object' || b === null || Array.isArray(b))
    throw new Problem('bad-request', 'the body is a JSON object');
  return b as Record<string, unknown>;
}

function str(b: Record<string, unknown>, key: string): string {
  const v = b[key];
  if (typeof v !== 'string' || v === '')
    throw new Problem('bad-request', `missing ${key}`, [{ field: `/${key}`, message: 'required' }]);
  return v;
}

/**
 * Controls over HTTP: screening, penalties, importer compliance, quotas and monthly reports, licences and
 * end-use certificates. Errors are RFC 9457 problem details; a refused request changes nothing.
 */
export async function controlsRoutes(app: FastifyInstance, options: ControlsRoutesOptions): Promise<void> {
  const { ledger } = options;
  const rules = options.rules ?? loadControlRules();
  const licences = options.licences ?? new InMemoryLicenceRepository();
  const authorize = options.authorize ?? (async () => undefined);
  app.setErrorHandler(problemHandler);
  let nextLicence = 0;

  app.get('/controls/rules', async (request) => {
    await authorize(request, 'rules');
    return {
      files: rules.files,
      rulesets: rules.exportControls.rulesets.map((s) => ({
        id: s.id,
        title: s.title,
        source: s.source,
        effective: s.effective,
        suspensions: s.suspensions,
        rules: s.rules.map((r) => ({ id: r.id, type: r.type, clause: r.clause, effective: r.effective })),
      })),
      endUses,
    };
  });

  app.post('/screenings', async (request) => {
    await authorize(request, 'screen');
    const req = parseScreeningRequest(request.body);
    return screen(ledger, req, rules.exportControls, rules.listedParties, (id) => licences.get(id));
  });

  app.post('/penalties', async (request) => {
    await authorize(request, 'penalty');
    return assessPenalty(rules.penalties, parsePenaltyRequest(request.body));
  });

  app.post('/compliance/dfars', async (request) => {
    await authorize(request, 'compliance');
    if (rules.importer === undefined) throw new Problem('internal', 'no importer-compliance data loaded');
    const b = body(request);
    return checkDfars(ledger, rules.importer.dfars, {
      lotId: str(b, 'lotId'),
      asOf: parseAsOf(b.asOf),
      cots: b.cots === true,
    });
  });

  app.post('/compliance/crma', async (request) => {
    await authorize(request, 'compliance');
    if (rules.importer === undefined) throw new Problem('internal', 'no importer-compliance data loaded');
    const b = body(request);
    const asOf = parseAsOf(b.asOf);
    const from = b.from === undefined ? undefined : parseAsOf(b.from, '/from');
    const to = b.to === undefined ? undefined : parseAsOf(b.to, '/to');
    if (b.lotIds !== undefined && (!Array.isArray(b.lotIds) || b.lotIds.some((x) => typeof x !== 'string'))) {
      throw new Problem('bad-request', 'lotIds is a list of lot ids', [
        { field: '/lotIds', message: 'expected strings' },
      ]);
    }
    if (b.partyId === undefined && b.lotIds === undefined)
      throw new Problem('bad-request', 'name a partyId or lotIds');
    return checkCrma(ledger, rules.importer.crma, {
      asOf,
      ...(typeof b.partyId === 'string' ? { partyId: b.partyId } : {}),
      ...(from === undefined ? {} : { fromMs: Date.parse(`${from}T00:00:00Z`) }),
      ...(to === undefined ? {} : { toMs: Date.parse(`${to}T00:00:00Z`) + 86_400_000 }),
      ...(Array.isArray(b.lotIds) ? { lotIds: b.lotIds as string[] } : {}),
    });
  });

  app.get('/quotas/national', async (request) => {
    await authorize(request, 'quotas');
    return { unit: 't REO', years: rules.quotas?.national ?? [] };
  });

  app.get<{ Params: { partyId: string }; Querystring: { year?: string } }>(
    '/quotas/:partyId/usage',
    async (request) => {
      await authorize(request, 'quotas');
      const config = rules.quotas;
      if (config === undefined) throw new Problem('internal', 'no quota data loaded');
      const year = Number(request.query.year);
      if (!Number.isInteger(year) || year < 2000 || year > 2099)
        throw new Problem('bad-query', 'year must be 2000–2099', [
          { field: 'year', message: 'date out of range' },
        ]);
      const { partyId } = request.params;
      if ((await ledger.getParty(partyId)) === undefined)
        throw new Problem('unknown-party', `unknown party ${partyId}`);
      const usage = await deriveUsage(ledger, config, partyId, year);
      return {
        partyId,
        year,
        unit: 't REO',
        lines: quotaLines(config, partyId, year).map((l) => ({
          label: l.label,
          kind: l.kind,
          limitT: l.limitMg / 1e9,
          usedT: (usage.get(l.key) ?? 0) / 1e9,
        })),
      };
    },
  );

  app.get<{ Params: { partyId: string; month: string }; Querystring: { format?: string } }>(
    '/quotas/:partyId/reports/:month',
    async (request, reply) => {
      await authorize(request, 'quotas');
      if (rules.quotas === undefined) throw new Problem('internal', 'no quota data loaded');
      const report = await monthlyFlowReport(ledger, rules.quotas, {
        partyId: request.params.partyId,
        month: request.params.month,
      });
      const wantsCsv = request.query.format === 'csv' || (request.headers.accept ?? '').includes('text/csv');
      if (wantsCsv) return reply.type('text/csv; charset=utf-8').send(monthlyReportCsv(report));
      return report;
    },
  );

  // Licences ------------------------------------------------------------------------------------------------
  const licensing = rules.licensing;
  const needLicensing = () => {
    if (licensing === undefined) throw new Problem('internal', 'no licensing data loaded');
    return licensing;
  };

  app.post('/licences', async (request, reply) => {
    await authorize(request, 'licence:apply');
    const l = needLicensing();
    const application = parseLicenceApplication(request.body, l);
    if ((await ledger.getParty(application.holderId)) === undefined) {
      throw new Problem('unknown-party', `unknown party ${application.holderId}`, [
        { field: '/holderId', message: 'not registered' },
      ]);
    }
    for (const [i, id] of application.limits.endUserIds.entries()) {
      if ((await ledger.getParty(id)) === undefined)
        throw new Problem('unknown-party', `unknown party ${id}`, [
          { field: `/limits/endUserIds/${i}`, message: 'not registered' },
        ]);
    }
    let id = '';
    do {
      nextLicence += 1;
      id = `LIC-${application.appliedOn.slice(0, 4)}-${String(nextLicence).padStart(6, '0')}`;
    } while ((await licences.get(id)) !== undefined);
    const licence = applyForLicence(id, application, application.holderId);
    await licences.save(licence, 0);
    return reply.status(201).send({ ...licence, decisionDueBy: decisionDueBy(licence, l) });
  });

  app.get<{ Querystring: { holderId?: string; status?: string } }>('/licences', async (request) => {
    await authorize(request, 'licence:read');
    const status = request.query.status;
    if (status !== undefined && !(licenceStatuses as readonly string[]).includes(status))
      throw new Problem('bad-query', `unknown status ${status}`);
    return {
      licences: await licences.list({
        ...(request.query.holderId === undefined ? {} : { holderId: request.query.holderId }),
        ...(status === undefined ? {} : { status: status as LicenceStatus }),
      }),
    };
  });

  app.get<{ Params: { id: string }; Querystring: { asOf?: string } }>('/licences/:id', async (request) => {
    await authorize(request, 'licence:read');
    const licence = await licences.get(request.params.id);
    if (licence === undefined) throw new Problem('not-found', `no licence ${request.params.id}`);
    return request.query.asOf === undefined
      ? licence
      : { ...licence, statusOn: statusOn(licence, parseAsOf(request.query.asOf, 'asOf')) };
  });

  app.post<{ Params: { id: string; action: string } }>('/licences/:id/:action', async (request) => {
    const { id, action } = request.params;
    await authorize(request, `licence:${action}`);
    const l = needLicensing();
    const b = body(request);
    const at = parseAsOf(b.at, '/at');
    const by = str(b, 'by');
    switch (action) {
      case 'review':
        return updateLicence(licences, id, (x) => reviewLicence(x, at, by));
      case 'approve': {
        const validFrom = b.validFrom === undefined ? undefined : parseAsOf(b.validFrom, '/validFrom');
        const validUntil = b.validUntil === undefined ? undefined : parseAsOf(b.validUntil, '/validUntil');
        return updateLicence(licences, id, (x) =>
          approveLicence(x, l, {
            at,
            by,
            ...(validFrom === undefined ? {} : { validFrom }),
            ...(validUntil === undefined ? {} : { validUntil }),
            ...(typeof b.note === 'string' ? { note: b.note } : {}),
          }),
        );
      }
      case 'deny':
        return updateLicence(licences, id, (x) => denyLicence(x, at, by, str(b, 'reason')));
      case 'revoke':
        return updateLicence(licences, id, (x) => revokeLicence(x, at, by, str(b, 'reason')));
      case 'draw-downs': {
        const massMg = b.massMg;
        if (typeof massMg !== 'number' || !Number.isSafeInteger(massMg) || massMg <= 0)
          throw new Problem('bad-request', 'massMg is a positive whole number', [
            { field: '/massMg', message: 'positive integer mg' },
          ]);
        const destination = str(b, 'destination');
        if (!isCountryCode(destination))
          throw new Problem('bad-request', 'destination is ISO 3166-1 alpha-2', [
            { field: '/destination', message: 'bad country' },
          ]);
        const elements = Array.isArray(b.elements) ? b.elements : [];
        for (const [i, e] of elements.entries())
          if (typeof e !== 'string' || !isElement(e))
            throw new Problem('bad-request', `unknown element ${JSON.stringify(e)}`, [
              { field: `/elements/${i}`, message: 'unknown element' },
            ]);
        return updateLicence(licences, id, (x) =>
          drawDownLicence(x, {
            at,
            by,
            massMg,
            destination,
            endUserId: str(b, 'endUserId'),
            ...(elements.length > 0 ? { elements: elements as Element[] } : {}),
            ...(typeof b.seq === 'number' ? { seq: b.seq } : {}),
          }),
        );
      }
      default:
        throw new Problem(
          'not-found',
          `no licence action ${action}; use review, approve, deny, revoke or draw-downs`,
        );
    }
  });

  // Certificates --------------------------------------------------------------------------------------------
  app.post<{ Querystring: { format?: string } }>('/certificates', async (request, reply) => {
    await authorize(request, 'certificate:issue');
    if (options.signerKey === undefined)
      throw new Problem('forbidden', 'this server has no certificate signing key configured');
    const b = body(request);
    const licence = await licences.get(str(b, 'licenceId'));
    if (licence === undefined) throw new Problem('not-found', `no licence ${String(b.licenceId)}`);
    const endUserId = str(b, 'endUserId');
    const endUser = await ledger.getParty(endUserId);
    if (endUser === undefined)
      throw new Problem('unknown-party', `unknown party ${endUserId}`, [
        { field: '/endUserId', message: 'not registered' },
      ]);
    const lotsRaw = Array.isArray(b.lots) ? b.lots : [];
    const lots = [];
    for (const [i, raw] of lotsRaw.entries()) {
      const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      const lotId = typeof o.lotId === 'string' ? o.lotId : '';
      const lot = await ledger.getLot(lotId);
      if (lot === undefined)
        throw new Problem('unknown-lot', `unknown lot ${lotId}`, [
          { field: `/lots/${i}/lotId`, message: 'unknown lot' },
        ]);
      const massMg = o.massMg;
      if (typeof massMg !== 'number' || !Number.isSafeInteger(massMg) || massMg <= 0)
        throw new Problem('bad-request', 'massMg is a positive whole number', [
          { field: `/lots/${i}/massMg`, message: 'positive integer mg' },
        ]);
      lots.push({ lotId, massMg, form: lot.form, hsCode: lot.hsCode });
    }
    const receipts = (Array.isArray(b.receipts) ? b.receipts : []) as CertificateReceipt[];
    const endUse = str(b, 'endUse');
    const certificate = buildCertificate(
      {
        id: str(b, 'id'),
        issuedOn: parseAsOf(b.issuedOn, '/issuedOn'),
        issuer: options.issuer ?? 'raretrace',
        exporter: licence.holderId,
        endUser: { partyId: endUser.id, name: endUser.name, country: endUser.country },
        destination: str(b, 'destination'),
        endUse: endUse as EndUse,
        lots,
        receipts,
      },
      licence,
    );
    const note = signCertificateWithKey(certificate, options.signerKey);
    if (request.query.format === 'note') return reply.type('text/plain; charset=utf-8').send(note);
    if (request.query.format === 'html')
      return reply.type('text/html; charset=utf-8').send(renderCertificateHtml(certificate));
    return reply.status(201).send({ certificate, note });
  });

  app.post('/certificates/verify', async (request) => {
    await authorize(request, 'certificate:verify');
    const b = body(request);
    const keys = b.keys;
    if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => typeof k !== 'string'))
      throw new Problem('bad-request', 'keys is a list of verifier keys', [
        { field: '/keys', message: 'required' },
      ]);
    return verifyCertificate(str(b, 'note'), keys as string[]);
  });
}
