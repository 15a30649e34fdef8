import { existsSync, readFileSync } from 'node:fs';
import { isProblem } from '../core/errors.js';

/** Prints a value as JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints an error as a problem detail on stderr and sets a failing exit code. */
export function reportError(error: unknown): void {
  if (isProblem(error)) {
    process.stderr.write(`${JSON.stringify(error.toJSON(), null, 2)}\n`);
  } else {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exitCode = 1;
}

/**
 * A progress line on a terminal: done/total, rate and ETA. Silent when stderr is not a TTY, so that piped and
 * CI output stays clean.
 */
export class Progress {
  private readonly started = performance.now();
  private lastDraw = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number | undefined,
    private readonly unit = 'events',
  ) {
    this.enabled = process.stderr.isTTY === true;
  }

  /**
   * @param fraction share of the work done (0..1) when the total is not a count of units (import knows its
   *   bytes, not its events): it drives the bar and the ETA.
   */
  update(done: number, force = false, fraction?: number): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const share =
      fraction !== undefined
        ? fraction
        : this.total !== undefined && this.total > 0
          ? done / this.total
          : undefined;
    let line = `${this.label}: ${done.toLocaleString('en')} ${this.unit}, ${Math.round(rate).toLocaleString('en')} ${this.unit}/s`;
    if (share !== undefined) {
      const clamped = Math.min(1, Math.max(0, share));
      const width = 24;
      const filled = Math.round(clamped * width);
      const eta = clamped > 0 ? (seconds * (1 - clamped)) / clamped : 0;
      line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(clamped * 100).toFixed(1)}% ${done.toLocaleString('en')} ${this.unit}, ${Math.round(rate).toLocaleString('en')} ${this.unit}/s, ETA ${eta.toFixed(0)} s`;
    }
    process.stderr.write(`\r${line}\u001b[K`);
  }

  finish(done: number): void {
    if (!this.enabled) return;
    this.update(done, true);
    process.stderr.write('\n');
  }
}

/** A key given on the command line either as a file path or as the key text itself. */
export function keyArgument(value: string): string {
  return existsSync(value) ? readFileSync(value, 'utf8').trim() : value.trim();
}
