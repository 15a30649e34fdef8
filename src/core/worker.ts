import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { isProblem, Problem, type ProblemIssue, type ProblemKind } from './errors.js';

/**
 * Starts a worker thread on the module `name` (without extension) next to `base` (a module's
 * `import.meta.url`): the compiled `.js` under dist/, or, when `base` is TypeScript source (tsx, vitest), a
 * small bootstrap that registers tsx's loader inside the worker and then imports the `.ts` file (`--import`
 * is not honoured in a worker's execArgv).
 */
export function startModuleWorker(base: string, name: string, options: WorkerOptions = {}): Worker {
  if (!base.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, base), options);
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL(`./${name}.ts`, base).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { (m.register ?? m.default.register)(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { ...options, eval: true });
}

/**
 * Names the calling thread for the operating system (at most 15 characters): on Linux, what `top -H` and
 * `ps -L` show, and how `threadCpuMs` tells threads apart. Elsewhere it does nothing.
 */
export function nameThisThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // Not Linux, or not allowed: the name is only a convenience.
  }
}

/**
 * CPU time (user + system) each thread of this process has used so far, ms, by thread id, with its name
 * (`nameThisThread`; the main thread's id is the process id). Linux only: empty elsewhere.
 */
export function threadCpuMs(): Map<number, { name: string; ms: number }> {
  const out = new Map<number, { name: string; ms: number }>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the parenthesised name: utime and stime are the 12th and 13th, in clock ticks (USER_HZ,
      // 100 on Linux).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * 10;
      out.set(Number(tid), { name: readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim(), ms });
    } catch {
      // The thread ended while we read.
    }
  }
  return out;
}

/** An error as it crosses a thread boundary: a Problem keeps its kind, issues and extensions. */
export interface ThreadError {
  readonly message: string;
  readonly stack?: string;
  readonly problem?: {
    readonly kind: string;
    readonly issues: readonly unknown[];
    readonly extensions: Readonly<Record<string, unknown>>;
  };
}

/** An error thrown on a worker thread, as it is posted back. Anything but a Problem is a bug, and rethrown. */
export function threadError(error: unknown): ThreadError {
  if (isProblem(error)) {
    return {
      message: error.message,
      problem: { kind: error.kind, issues: error.issues, extensions: error.extensions },
    };
  }
  return {
    message: error instanceof Error ? error.message : String(error),
    ...(error instanceof Error && error.stack !== undefined ? { stack: error.stack } : {}),
  };
}

/** The error a thread posted back, rebuilt on this side: a Problem stays a Problem (a log conflict is retried). */
export function rebuildError(error: ThreadError, thread: string): Error {
  if (error.problem !== undefined) return rebuildProblem(error);
  const out = new Error(`${thread}: ${error.message}`);
  if (error.stack !== undefined) out.stack = error.stack;
  return out;
}

/** A posted Problem rebuilt; a posted error that was not a Problem is thrown (it is a bug, not a refusal). */
export function rebuildProblem(error: ThreadError): Problem {
  if (error.problem === undefined) throw rebuildError(error, 'worker thread');
  return new Problem(
    error.problem.kind as ProblemKind,
    error.message,
    error.problem.issues as ProblemIssue[],
    {
      ...error.problem.extensions,
    },
  );
}
