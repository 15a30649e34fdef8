import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nameThisThread, threadCpuMs } from './worker.js';

describe.runIf(existsSync('/proc/thread-self/comm'))('thread names and CPU times (Linux)', () => {
  it('names the calling thread, and lists every thread with its name and CPU time', () => {
    const before = readFileSync('/proc/thread-self/comm', 'utf8').trim();
    try {
      nameThisThread('rt-test-thread-name-too-long');
      const threads = [...threadCpuMs().values()];
      // Cut to the 15 characters Linux keeps.
      expect(threads.map((t) => t.name)).toContain('rt-test-thread-');
      expect(threadCpuMs().has(process.pid)).toBe(true);
      // Burn 200 ms of CPU: the process's threads together account for it (to the 10 ms tick).
      const start = [...threadCpuMs().values()].reduce((sum, t) => sum + t.ms, 0);
      const cpu = process.cpuUsage();
      while (process.cpuUsage(cpu).user < 200_000) Math.sqrt(Math.random());
      const end = [...threadCpuMs().values()].reduce((sum, t) => sum + t.ms, 0);
      expect(end - start).toBeGreaterThanOrEqual(180);
    } finally {
      nameThisThread(before);
    }
  });
});
