/**
 * The two interfaces return the same object: `raretrace simulate --json` and `POST /simulations`.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerSimulateCommand, runSimulateCommand } from '../cli/commands/simulate.js';
import { simulationRoutes } from '../server/routes/simulations.js';

const file = new URL('../../scenarios/magnet-ban-us-12m.yaml', import.meta.url);
const path = file.pathname;
const text = readFileSync(file, 'utf8');

function capture(): {
  io: { stdout: { write(t: string): boolean }; stderr: { write(t: string): boolean; isTTY: boolean } };
  out: () => string;
  err: () => string;
} {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: {
        write: (t: string) => {
          out += t;
          return true;
        },
      },
      stderr: {
        write: (t: string) => {
          err += t;
          return true;
        },
        isTTY: false,
      },
    },
    out: () => out,
    err: () => err,
  };
}

describe('CLI and HTTP', () => {
  it('simulate --json prints the result object; POST /simulations returns the same', async () => {
    const c = capture();
    const code = await runSimulateCommand(path, { draws: '12', seed: 's', json: true, workers: '1' }, c.io);
    expect(code).toBe(0);
    expect(c.err()).toBe(''); // no progress bar when stderr is not a TTY
    const cli = JSON.parse(c.out());
    expect(cli.schema).toBe('raretrace.simulation/1');
    expect(cli.run).toEqual({ draws: 12, seed: 's', comparedToBaseline: true });
    expect(cli.regionSector).toHaveLength(36);
    const us = cli.regionSector.find(
      (r: { region: string; sector: string }) => r.region === 'US' && r.sector === 'ev',
    );
    expect(us.stockOutMonthIndex.p50).toBeGreaterThanOrEqual(6);

    const app = Fastify();
    await app.register(simulationRoutes, { workers: 2 });
    const yamlRes = await app.inject({
      method: 'POST',
      url: '/simulations?draws=12&seed=s',
      headers: { 'content-type': 'application/yaml' },
      payload: text,
    });
    expect(yamlRes.statusCode).toBe(200);
    expect(yamlRes.json()).toEqual(cli);
    const jsonRes = await app.inject({
      method: 'POST',
      url: '/simulations',
      payload: { scenario: text, draws: 12, seed: 's' },
    });
    expect(jsonRes.json()).toEqual(cli);
    await app.close();
  }, 60_000);

  it('the table names who runs short first, what can be built, prices and concentration', async () => {
    const c = capture();
    const code = await runSimulateCommand(path, { draws: '6', workers: '1' }, c.io);
    expect(code).toBe(0);
    expect(c.out()).toMatch(/Who runs short first/);
    expect(c.out()).toMatch(/How much can still be built/);
    expect(c.out()).toMatch(/EU CRMA/);
    expect(c.err()).toMatch(/6 draws on 1 worker/);
  });

  it('errors: a bad scenario is a 400 problem naming the line, over-limit draws are refused', async () => {
    const app = Fastify();
    await app.register(simulationRoutes, { workers: 1 });
    const bad = await app.inject({
      method: 'POST',
      url: '/simulations',
      headers: { 'content-type': 'application/yaml' },
      payload:
        'name: x\nstart: "2025-01"\ncapacity:\n  - { region: US, stage: magnet, tonnesPerYear: -1, start: "2026-01", source: s }\n',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.json().type).toBe('https://raretrace.dev/problems/scenario-invalid');
    expect(bad.json().detail).toMatch(/line 4/);
    const tooMany = await app.inject({
      method: 'POST',
      url: '/simulations',
      payload: { scenario: text, draws: 10_000_000 },
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().errors[0].rule).toBe('simLimits.maxDrawsHttp');
    const objectScenario = await app.inject({
      method: 'POST',
      url: '/simulations',
      payload: { scenario: { name: 'x', start: '2025-01', horizonMonths: 12, bogus: 1 }, draws: 2 },
    });
    expect(objectScenario.statusCode).toBe(400);
    expect(objectScenario.json().errors[0].field).toBe('/bogus');
    await app.close();

    const c = capture();
    const code = await runSimulateCommand(path, { draws: '0' }, c.io);
    expect(code).toBe(1);
    expect(c.err()).toMatch(/--draws must be an integer/);
  });

  it('registers as a commander subcommand', () => {
    const program = new Command();
    registerSimulateCommand(program);
    const cmd = program.commands.find((c) => c.name() === 'simulate')!;
    expect(cmd.options.map((o) => o.long)).toEqual(
      expect.arrayContaining(['--draws', '--seed', '--json', '--workers']),
    );
  });
});
