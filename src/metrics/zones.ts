// Owns the zone state metrics of the main thread: loaded or not, and failed loads, read from the zone writer at scrape time.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ZoneStatus } from '../control/types.ts';
import { METRICS } from './names.ts';

/**
 * Registers dunlin_zone_loaded and dunlin_zone_reload_failures_total on `registry`. Both are read
 * from `zones()` at scrape time (state, not events), so a zone removed from the configuration
 * disappears from both at the next scrape.
 */
export function registerZoneStateMetrics(registry: Registry, zones: () => readonly ZoneStatus[]): void {
  new Gauge({
    ...METRICS.zoneLoaded, labelNames: ['zone'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const z of zones()) this.set({ zone: z.zone }, z.loadedAt !== null ? 1 : 0);
    },
  });
  new Counter({
    ...METRICS.zoneFailures, labelNames: ['zone'] as const, registers: [registry],
    collect() {
      // The writer keeps the monotonic total per zone; the counter shows it as is.
      this.reset();
      for (const z of zones()) this.inc({ zone: z.zone }, z.failures);
    },
  });
}
