import { problemTypes } from '../core/errors.js';
import { limits } from '../core/limits.js';

/**
 * The OpenAPI 3.1 description of the HTTP API, served at GET /openapi.json. Kept by hand beside the routes;
 * test/server.test.ts checks that every route the app registers is described here.
 */
const problem = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problem } },
});
const bearer = [{ bearerAuth: [] }];
const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'The lot id (its EPC class)',
};
const json = (schema: object, description = 'OK') => ({
  description,
  content: { 'application/json': { schema } },
});

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'raretrace',
    version: '0.1.0',
    description:
      'Traceability ledger for the rare-earth supply chain: EPCIS 2.0 capture and query (GS1 REST bindings), lots, genealogy, origin, a tamper-evident log (RFC 9162, C2SP tlog-tiles), export-control screening and the supply-disruption simulator. Errors are RFC 9457 problem details.',
  },
  components: {
    securitySchemes: {
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        description: 'An API token from `raretrace token create`',
      },
    },
    schemas: {
      Problem: {
        type: 'object',
        required: ['type', 'title', 'status', 'detail'],
        properties: {
          type: {
            type: 'string',
            enum: Object.keys(problemTypes).map((k) => `https://raretrace.dev/problems/${k}`),
          },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          instance: { type: 'string' },
          errors: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                eventIndex: { type: 'integer' },
                field: { type: 'string', description: 'JSON pointer into the document' },
                rule: { type: 'string' },
                record: { type: 'string' },
                message: { type: 'string' },
              },
            },
          },
        },
      },
      EPCISDocument: { type: 'object', description: 'A GS1 EPCIS 2.0 JSON-LD document' },
      CaptureResult: {
        type: 'object',
        properties: {
          captureID: { type: ['string', 'null'] },
          documentId: { type: ['integer', 'null'] },
          eventCount: { type: 'integer' },
          recorded: { type: 'integer' },
          duplicates: { type: 'integer' },
          treeSize: { type: 'integer' },
          outcomes: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                index: { type: 'integer' },
                hash: { type: 'string' },
                seq: { type: 'integer' },
                status: { enum: ['recorded', 'duplicate'] },
              },
            },
          },
          warnings: { type: 'array', items: { type: 'object' } },
        },
      },
      Lot: {
        type: 'object',
        description: 'A lot: mass (mg), composition, value (US cents), origin, custody',
      },
      Trace: { type: 'object' },
      Origin: { type: 'object' },
    },
  },
  paths: {
    '/health': { get: { summary: 'Liveness and tree size', responses: { 200: json({ type: 'object' }) } } },
    '/openapi.json': { get: { summary: 'This document', responses: { 200: json({ type: 'object' }) } } },
    '/ns/ree/v1/context.jsonld': {
      get: { summary: 'JSON-LD context of the ree: extension', responses: { 200: json({ type: 'object' }) } },
    },
    '/capture': {
      post: {
        summary: 'Capture an EPCIS 2.0 document (rollback mode: all or nothing)',
        security: bearer,
        parameters: [{ name: 'GS1-Capture-Error-Behaviour', in: 'header', schema: { enum: ['rollback'] } }],
        requestBody: {
          required: true,
          content: {
            'application/ld+json': { schema: { $ref: '#/components/schemas/EPCISDocument' } },
            'application/json': { schema: { $ref: '#/components/schemas/EPCISDocument' } },
          },
        },
        responses: {
          202: json(
            { $ref: '#/components/schemas/CaptureResult' },
            'Recorded (duplicates are named, not recorded twice)',
          ),
          400: problemResponse('Malformed JSON, schema or vocabulary violation'),
          401: problemResponse('No or bad token'),
          403: problemResponse('Not the custodian / not allowed'),
          409: problemResponse('Lot exists, or the log moved on'),
          413: problemResponse(
            `Over ${limits.maxDocumentBytes} bytes or ${limits.maxEventsPerDocument} events`,
          ),
          422: problemResponse('Mass balance, over-consumption, unknown lot/location/party'),
        },
      },
    },
    '/capture/{id}': {
      get: {
        summary: 'A capture job (always finished: capture is decided before the answer)',
        security: bearer,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: json({ type: 'object' }), 404: problemResponse('Unknown job') },
      },
    },
    '/events': {
      post: {
        summary: 'Capture one event',
        security: bearer,
        requestBody: { required: true, content: { 'application/ld+json': { schema: { type: 'object' } } } },
        responses: {
          201: json({ $ref: '#/components/schemas/CaptureResult' }),
          200: json({ $ref: '#/components/schemas/CaptureResult' }, 'Already recorded'),
          400: problemResponse('Invalid event'),
        },
      },
      get: {
        summary: 'Query events (EPCIS 2.0 SimpleEventQuery parameters)',
        security: bearer,
        parameters: [
          'eventType',
          'GE_eventTime',
          'LT_eventTime',
          'GE_recordTime',
          'LT_recordTime',
          'EQ_action',
          'EQ_bizStep',
          'EQ_disposition',
          'EQ_readPoint',
          'EQ_bizLocation',
          'MATCH_epc',
          'MATCH_parentID',
          'MATCH_inputEPC',
          'MATCH_outputEPC',
          'MATCH_anyEPC',
          'MATCH_epcClass',
          'MATCH_inputEPCClass',
          'MATCH_outputEPCClass',
          'MATCH_anyEPCClass',
          'nextPageToken',
        ]
          .map((name) => ({ name, in: 'query', schema: { type: 'string' } }))
          .concat([
            {
              name: 'perPage',
              in: 'query',
              schema: {
                type: 'integer',
                minimum: 1,
                maximum: limits.maxPerPage,
                default: limits.defaultPerPage,
              } as never,
            },
          ]),
        responses: {
          200: {
            description: 'An EPCISQueryDocument; a Link rel="next" header when more pages exist',
            content: { 'application/ld+json': { schema: { type: 'object' } } },
          },
          400: problemResponse('Bad query parameter'),
        },
      },
    },
    '/events/{hash}': {
      get: {
        summary: 'One event by its CBV event hash',
        security: bearer,
        parameters: [{ name: 'hash', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: json({ type: 'object' }), 404: problemResponse('Not found') },
      },
    },
    '/lots/{id}': {
      get: {
        summary: 'A lot and its custody history',
        security: bearer,
        parameters: [idParam],
        responses: {
          200: json({ $ref: '#/components/schemas/Lot' }),
          404: problemResponse('Not found or not visible'),
        },
      },
    },
    '/lots/{id}/trace': {
      get: {
        summary: 'The whole genealogy of a lot',
        security: bearer,
        parameters: [
          idParam,
          {
            name: 'direction',
            in: 'query',
            schema: { enum: ['upstream', 'downstream'], default: 'upstream' },
          },
        ],
        responses: { 200: json({ $ref: '#/components/schemas/Trace' }), 404: problemResponse('Not found') },
      },
    },
    '/lots/{id}/origin': {
      get: {
        summary: 'Per element: shares by country of mining and separation, by mass and by value',
        security: bearer,
        parameters: [idParam],
        responses: { 200: json({ $ref: '#/components/schemas/Origin' }) },
      },
    },
    '/lots/{id}/track': {
      get: {
        summary: 'GPS track of a lot',
        security: bearer,
        parameters: [idParam],
        responses: { 200: json({ type: 'object' }) },
      },
    },
    '/checkpoint': {
      get: {
        summary:
          'The latest signed checkpoint (C2SP tlog-checkpoint as a signed note, with witness cosignatures)',
        responses: {
          200: {
            description: 'text/plain signed note',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    '/checkpoints': {
      get: {
        summary: 'Every checkpoint the log signed (size, root, time) and its verifier key',
        responses: { 200: json({ type: 'object' }) },
      },
    },
    '/checkpoints/{size}': {
      get: {
        summary: 'The signed checkpoint at a tree size',
        parameters: [{ name: 'size', in: 'path', required: true, schema: { type: 'integer' } }],
        responses: {
          200: { description: 'text/plain signed note' },
          404: problemResponse('No checkpoint at that size'),
        },
      },
    },
    '/log/key': {
      get: {
        summary: "The log's verifier key (C2SP vkey)",
        responses: { 200: { description: 'text/plain' } },
      },
    },
    '/tile/{path}': {
      get: {
        summary:
          'C2SP tlog-tiles: /tile/<L>/<N>[.p/<W>] hash tiles and /tile/entries/<N>[.p/<W>] entry bundles (immutable, cacheable)',
        parameters: [{ name: 'path', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          200: { description: 'application/octet-stream' },
          404: problemResponse('No such tile yet'),
        },
      },
    },
    '/receipts/{hash}': {
      get: {
        summary:
          'A receipt (c2sp.org/tlog-proof: checkpoint + index + inclusion proof + the leaf), verifiable offline',
        parameters: [{ name: 'eventHash', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          200: { description: 'text/plain tlog-proof, or JSON with Accept: application/json' },
          404: problemResponse('Not recorded'),
        },
      },
    },
    '/proof/inclusion': {
      get: {
        summary:
          'RFC 9162 inclusion proof (by index or event hash) at a tree size (default: the latest checkpoint)',
        parameters: ['index', 'hash', 'size'].map((name) => ({
          name,
          in: 'query',
          schema: { type: 'string' },
        })),
        responses: { 200: json({ type: 'object' }), 400: problemResponse('Bad index or size') },
      },
    },
    '/proof/consistency': {
      get: {
        summary: 'RFC 9162 consistency proof between two tree sizes',
        parameters: ['old', 'new'].map((name) => ({ name, in: 'query', schema: { type: 'integer' } })),
        responses: { 200: json({ type: 'object' }), 400: problemResponse('Bad sizes') },
      },
    },
    '/cosignatures': {
      post: {
        summary: "A witness's cosigned checkpoint (tlog-cosignature/v1), kept with the log's checkpoint",
        requestBody: { required: true, content: { 'text/plain': { schema: { type: 'string' } } } },
        responses: {
          200: json({ type: 'object' }),
          400: problemResponse('Not a checkpoint this log signed'),
          403: problemResponse('Not a configured witness'),
        },
      },
    },
    '/screenings': {
      post: {
        summary:
          'Export-control screening as of a date (MOFCOM Nos. 18, 57, 61, 62; No. 70 suspension): outcome with reasons and sources',
        security: bearer,
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
        responses: { 200: json({ type: 'object' }), 400: problemResponse('Bad request') },
      },
    },
    '/simulations': {
      post: {
        summary:
          'Run the supply-disruption simulator on a scenario (YAML text or JSON), Monte Carlo P10/P50/P90',
        security: bearer,
        requestBody: {
          required: true,
          content: {
            'application/yaml': { schema: { type: 'string' } },
            'application/json': { schema: { type: 'object' } },
          },
        },
        responses: {
          200: json({ type: 'object' }),
          400: problemResponse('Invalid scenario (names the line)'),
        },
      },
    },
    '/controls/rules': {
      get: {
        summary: 'The control rulesets in force, with sources and dates',
        security: bearer,
        responses: { 200: json({ type: 'object' }), 400: problemResponse('Bad request') },
      },
    },
    '/penalties': {
      post: {
        summary: 'Fine range for a listed violation, and how it was computed',
        security: bearer,
        responses: { 200: json({ type: 'object' }), 400: problemResponse('Bad request') },
      },
    },
    '/compliance/dfars': {
      post: {
        summary: 'DFARS 252.225-7052 compliance of a lot as of a date, with the deciding lots and steps',
        security: bearer,
        responses: { 200: json({ type: 'object' }), 400: problemResponse('Bad request') },
      },
    },
    '/compliance/crma': {
      post: {
        summary:
          "EU CRMA: a company's intake share from the largest single third country per stage vs the 65 % benchmark",
        security: bearer,
        responses: { 200: json({ type: 'object' }), 400: problemResponse('Bad request') },
      },
    },
    '/quotas/national': {
      get: {
        summary: 'Published national quotas 2018–2024 (reference data)',
        security: bearer,
        responses: { 200: json({ type: 'object' }), 400: problemResponse('Bad request') },
      },
    },
    '/quotas/{partyId}/usage': {
      get: {
        summary: "An enterprise's quota lines and use for a year",
        security: bearer,
        parameters: [
          { name: 'partyId', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'year', in: 'query', schema: { type: 'string' } },
        ],
        responses: { 200: json({ type: 'object' }), 400: problemResponse('Bad request') },
      },
    },
    '/quotas/{partyId}/reports/{month}': {
      get: {
        summary: 'The monthly flow report (JSON or CSV)',
        security: bearer,
        parameters: [
          { name: 'partyId', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'month', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'format', in: 'query', schema: { type: 'string' } },
        ],
        responses: { 200: json({ type: 'object' }), 400: problemResponse('Bad request') },
      },
    },
    '/violations': {
      get: {
        summary:
          'Control violations recorded at capture (quotas.yaml enforcement: violation); a party token sees only its own',
        security: bearer,
        parameters: [
          { name: 'party', in: 'query', schema: { type: 'string' } },
          { name: 'code', in: 'query', schema: { type: 'string' } },
          {
            name: 'from',
            in: 'query',
            description: 'event time ≥ (YYYY-MM-DD or ISO time)',
            schema: { type: 'string' },
          },
          {
            name: 'to',
            in: 'query',
            description: 'event time < (YYYY-MM-DD or ISO time)',
            schema: { type: 'string' },
          },
          {
            name: 'after',
            in: 'query',
            description: "ids above this (the previous page's next)",
            schema: { type: 'integer' },
          },
          { name: 'limit', in: 'query', schema: { type: 'integer' } },
        ],
        responses: {
          200: json({ type: 'object' }),
          400: problemResponse('Bad query'),
          401: problemResponse('No valid token'),
          403: problemResponse("Another party's violations"),
        },
      },
    },
    '/licences': {
      ...{
        post: {
          summary: 'Apply for an export licence (single ≤ 1 year, general ≤ 3 years)',
          security: bearer,
          responses: { 200: json({ type: 'object' }), 400: problemResponse('Bad request') },
        },
      },
      get: {
        summary: 'Licences (filter by holder, status)',
        security: bearer,
        responses: { 200: json({ type: 'object' }) },
      },
    },
    '/licences/{id}': {
      get: {
        summary: 'A licence and its status as of a date',
        security: bearer,
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'asOf', in: 'query', schema: { type: 'string' } },
        ],
        responses: { 200: json({ type: 'object' }), 400: problemResponse('Bad request') },
      },
    },
    '/licences/{id}/{action}': {
      post: {
        summary: "Review, approve, deny or revoke (the regulator's decisions)",
        security: bearer,
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'action', in: 'path', required: true, schema: { type: 'string' } },
        ],
        responses: { 200: json({ type: 'object' }), 400: problemResponse('Bad request') },
      },
    },
    '/certificates': {
      post: {
        summary: 'Issue a signed end-use certificate for an approved export (JSON, or HTML with format=html)',
        security: bearer,
        responses: { 200: json({ type: 'object' }), 400: problemResponse('Bad request') },
      },
    },
    '/certificates/verify': {
      post: {
        summary: 'Verify an end-use certificate against the issuer key',
        security: bearer,
        responses: { 200: json({ type: 'object' }), 400: problemResponse('Bad request') },
      },
    },
    '/parties': {
      get: { summary: 'Registered parties', security: bearer, responses: { 200: json({ type: 'object' }) } },
    },
    '/locations': {
      get: {
        summary: 'Registered locations',
        security: bearer,
        responses: { 200: json({ type: 'object' }) },
      },
    },
  } as Record<string, unknown>,
};
