import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { renderCertificateHtml, verifyCertificate } from '../../controls/certificates.js';
import { checkCrma, checkDfars } from '../../controls/compliance.js';
import { parseAsOf } from '../../controls/dates.js';
import { FakeLedger, type LedgerSnapshot } from '../../controls/fake-ledger.js';
import { assessPenalty, parsePenaltyRequest } from '../../controls/penalties.js';
import { monthlyFlowReport, monthlyReportCsv } from '../../controls/quotas.js';
import { loadControlRules } from '../../controls/rules.js';
import { parseScreeningRequest, type ScreeningDecision, screen } from '../../controls/screening.js';
import { Problem } from '../../core/errors.js';
import { printJson, reportError } from '../output.js';

/**
 * Controls on files, without a store: screening a request, penalties, importer compliance on a ledger
 * snapshot, and offline certificate verification.
 */

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Problem('malformed-json', `${file}: ${(error as Error).message}`);
  }
}

/**
 * A screening file is a screening request, optionally with a `ledger` snapshot its lot ids refer to. With no
 * snapshot parties, any party id is accepted (there is no registry to check against in file mode).
 */
function ledgerFrom(snapshot: unknown): FakeLedger {
  if (snapshot === undefined) return permissive(new FakeLedger());
  if (typeof snapshot !== 'object' || snapshot === null)
    throw new Problem('bad-request', 'ledger: expected a snapshot object');
  const ledger = FakeLedger.fromSnapshot(snapshot as LedgerSnapshot);
  return ledger.parties.size === 0 ? permissive(ledger) : ledger;
}

function permissive(ledger: FakeLedger): FakeLedger {
  ledger.getParty = async (id: string) =>
    ledger.parties.get(id) ?? { id, name: id, country: 'XX', roles: [] };
  return ledger;
}

function printDecision(decision: ScreeningDecision): void {
  const lines = [`outcome: ${decision.outcome} (as of ${decision.asOf}; rules ${decision.dataVersion})`];
  for (const item of decision.items) {
    const share =
      item.chineseValueShare === undefined
        ? ''
        : `, Chinese-origin Part 1 value ${(item.chineseValueShare.share * 100).toFixed(4)} % (${item.chineseValueShare.method})`;
    lines.push(
      `  item ${item.index}: ${item.outcome}${item.controlCodes.length > 0 ? ` [${item.controlCodes.join(', ')}]` : ''}${item.licenceId === undefined ? '' : ` licence ${item.licenceId}`}${share}`,
    );
  }
  lines.push('reasons:');
  for (const reason of decision.reasons) {
    lines.push(`  - [${reason.effect}] ${reason.message}`);
    lines.push(`      ${reason.rule.ruleId}: ${reason.rule.clause} — ${reason.rule.source}`);
  }
  for (const obligation of decision.obligations) lines.push(`obligation: ${obligation}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerControlsCommands(program: Command): void {
  program
    .command('screen')
    .description(
      'Screen an export against the export-control rulesets as of a date (MOFCOM Nos. 18, 57, 61, 62; No. 70 suspension)',
    )
    .argument('<file>', 'a screening request (JSON), optionally with a "ledger" snapshot for its lot ids')
    .option('--as-of <date>', 'answer as of this date (YYYY-MM-DD); overrides the file')
    .option('--json', 'print the decision as JSON')
    .action(async (file: string, options: { asOf?: string; json?: boolean }) => {
      try {
        const body = readJson(file);
        if (typeof body !== 'object' || body === null || Array.isArray(body))
          throw new Problem('bad-request', 'expected a JSON object');
        const { ledger: snapshot, ...rest } = body as Record<string, unknown>;
        const request = parseScreeningRequest(
          options.asOf === undefined ? rest : { ...rest, asOf: options.asOf },
        );
        const rules = loadControlRules();
        const decision = await screen(
          ledgerFrom(snapshot),
          request,
          rules.exportControls,
          rules.listedParties,
        );
        if (options.json === true) printJson(decision);
        else printDecision(decision);
        if (decision.outcome === 'denied') process.exitCode = 3;
      } catch (error) {
        reportError(error);
      }
    });

  program
    .command('penalty')
    .description('The fine range and measures for a listed violation, with how they were computed')
    .argument(
      '<violation>',
      'over-quota | non-designated-separation | illegal-source-dealing | traceability-failure | obstructing-inspection | unlicensed-export | smuggling | control-list-dealing',
    )
    .requiredOption('--as-of <date>', 'date of the violation (YYYY-MM-DD)')
    .option('--basis <cny>', 'illegal gains or turnover in RMB')
    .option('--refused', 'the party refused to correct')
    .option('--serious', 'the authority finds the case serious')
    .action(
      (
        violation: string,
        options: { asOf: string; basis?: string; refused?: boolean; serious?: boolean },
      ) => {
        try {
          const rules = loadControlRules();
          const request = parsePenaltyRequest({
            violation,
            asOf: options.asOf,
            ...(options.basis === undefined ? {} : { basisCny: Number(options.basis) }),
            refusedToCorrect: options.refused === true,
            serious: options.serious === true,
          });
          printJson(assessPenalty(rules.penalties, request));
        } catch (error) {
          reportError(error);
        }
      },
    );

  const compliance = program
    .command('compliance')
    .description('Importer compliance on a ledger snapshot (DFARS 252.225-7052, EU CRMA)');
  compliance
    .command('dfars')
    .argument('<file>', 'a ledger snapshot (JSON)')
    .requiredOption('--lot <id>', 'the deliverable lot')
    .requiredOption('--as-of <date>', 'date of delivery (YYYY-MM-DD)')
    .option('--cots', 'the deliverable is a COTS item')
    .action(async (file: string, options: { lot: string; asOf: string; cots?: boolean }) => {
      try {
        const rules = loadControlRules();
        if (rules.importer === undefined) throw new Problem('internal', 'no importer-compliance data');
        const result = await checkDfars(
          FakeLedger.fromSnapshot(readJson(file) as LedgerSnapshot),
          rules.importer.dfars,
          {
            lotId: options.lot,
            asOf: parseAsOf(options.asOf, '--as-of'),
            cots: options.cots === true,
          },
        );
        printJson(result);
        if (result.status === 'non-compliant') process.exitCode = 3;
      } catch (error) {
        reportError(error);
      }
    });
  compliance
    .command('crma')
    .argument('<file>', 'a ledger snapshot (JSON)')
    .requiredOption('--as-of <date>', 'date (YYYY-MM-DD)')
    .option('--party <id>', 'the company whose intake (receiving/import facts) is assessed')
    .option('--lot <id...>', 'lots of the intake')
    .action(async (file: string, options: { asOf: string; party?: string; lot?: string[] }) => {
      try {
        const rules = loadControlRules();
        if (rules.importer === undefined) throw new Problem('internal', 'no importer-compliance data');
        printJson(
          await checkCrma(FakeLedger.fromSnapshot(readJson(file) as LedgerSnapshot), rules.importer.crma, {
            asOf: parseAsOf(options.asOf, '--as-of'),
            ...(options.party === undefined ? {} : { partyId: options.party }),
            ...(options.lot === undefined ? {} : { lotIds: options.lot }),
          }),
        );
      } catch (error) {
        reportError(error);
      }
    });

  program
    .command('verify-certificate')
    .description("Verify a signed end-use certificate offline against the issuer's verifier key")
    .argument('<file>', 'the certificate (a C2SP signed note)')
    .requiredOption('--key <key...>', 'verifier key(s) name+id+base64, or files holding them')
    .option('--html <out>', 'also write a person-readable HTML rendering to this file')
    .option('--json', 'print the verified certificate as JSON')
    .action((file: string, options: { key: string[]; html?: string; json?: boolean }) => {
      try {
        const keys = options.key.map((k) => (existsSync(k) ? readFileSync(k, 'utf8').trim() : k));
        const verified = verifyCertificate(readFileSync(file, 'utf8'), keys);
        if (options.html !== undefined)
          writeFileSync(options.html, renderCertificateHtml(verified.certificate, verified));
        if (options.json === true) printJson(verified);
        else {
          const c = verified.certificate;
          process.stdout.write(
            `valid: certificate ${c.id} signed by ${verified.signedBy.join(', ')}\n` +
              `  ${c.exporter} → ${c.endUser.partyId} (${c.destination}), end use ${c.endUse}, licence ${c.licence.id}\n` +
              `  ${c.lots.length} lot(s), ${c.totalMassMg} mg, ${c.receipts.length} receipt(s), sha256 ${verified.digest}\n`,
          );
        }
      } catch (error) {
        reportError(error);
      }
    });

  program
    .command('quota-report')
    .description(
      'The monthly product-flow report an enterprise files by the 10th (JSON or CSV), from a ledger snapshot',
    )
    .argument('<file>', 'a ledger snapshot (JSON) with parties and facts')
    .requiredOption('--party <id>', 'the quota holder')
    .requiredOption('--month <yyyy-mm>', 'the month reported')
    .option('--csv', 'print CSV lines instead of JSON')
    .action(async (file: string, options: { party: string; month: string; csv?: boolean }) => {
      try {
        const rules = loadControlRules();
        if (rules.quotas === undefined) throw new Problem('internal', 'no quota data');
        const report = await monthlyFlowReport(
          FakeLedger.fromSnapshot(readJson(file) as LedgerSnapshot),
          rules.quotas,
          {
            partyId: options.party,
            month: options.month,
          },
        );
        if (options.csv === true) process.stdout.write(monthlyReportCsv(report));
        else printJson(report);
      } catch (error) {
        reportError(error);
      }
    });
}
