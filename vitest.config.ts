import { statSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * Test files that replace modules (vi.mock of node:fs/promises, the platform modules) or change
 * process-wide state (environment variables, timers): each runs in a fresh process, so what it
 * replaces cannot reach another file and another file's imports cannot defeat its mocks.
 */
const NEEDS_OWN_PROCESS = [
  'test/electron/main-wiring.test.ts',
  'test/electron/preload.test.ts',
  'test/fleet/service.test.ts',
  'test/renderer/logic.test.ts',
  'test/renderer/wizard-and-password.test.ts',
  'test/store/store-faults.test.ts',
  'test/store/windows.test.ts',
];

const shared = {
  globalSetup: ['test/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
  pool: 'forks' as const,
};

/**
 * Longest files first, so that the two workers finish together instead of one waiting on a
 * 30-second browser walk that started last. Vitest orders by the durations it cached from the
 * last run; a fresh clone (CI) has no cache, and its fallback, the larger file first, would start
 * the browser walks last (admin-ui.test.ts is a few lines). So a file without a cached
 * duration is estimated: the Chromium and Wine folders first, then by size.
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const estimate = (spec: TestSpecification): number => {
      const file = relative(root, spec.moduleId);
      const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${file}`);
      if (cached && !cached.failed) return cached.duration;
      if (cached?.failed) return Number.MAX_SAFE_INTEGER; // what failed last runs first
      const heavy = /^test\/(e2e|installer)\//.test(file) ? 20_000 : 0;
      return heavy + statSync(spec.moduleId).size / 4;
    };
    const cost = new Map(files.map((spec) => [spec, estimate(spec)]));
    return [...files].sort((a, b) => {
      // Files that need their own process are few and quick; they go first, as Vitest's own order has it.
      if (a.project.name !== b.project.name) return a.project.name === 'own-process' ? -1 : 1;
      return cost.get(b)! - cost.get(a)!;
    });
  }
}

// One runner for every test: unit, property, CLI (real processes), HTTP on 127.0.0.1 and
// Playwright-in-Chromium tests all live under test/ and run here.
export default defineConfig({
  test: {
    // Two cores: crypto-heavy files would only fight each other past two workers.
    maxWorkers: 2,
    fileParallelism: true,
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        // Every other file reuses its worker process: each file still gets its own temp folders,
        // and loading the core, zod, Playwright and Fastify once per worker instead of once per
        // file is about a sixth of the suite's time on two cores.
        test: { ...shared, name: 'shared', include: ['test/**/*.test.ts'], exclude: NEEDS_OWN_PROCESS, isolate: false },
      },
      {
        test: { ...shared, name: 'own-process', include: NEEDS_OWN_PROCESS, isolate: true },
      },
    ],
  },
});
