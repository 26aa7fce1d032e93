/**
 * The sink's health: one flag per dependency. Callers name the dependency that failed (a retry says
 * which one it waits for), so health never depends on what a stage happens to be called.
 */
import { connectorHealthy } from '../metrics/prom-registry.js';

export type HealthPart = 'kafka' | 'pg' | 'registry';

export class SinkHealth {
  readonly parts: Record<HealthPart, boolean> = { kafka: false, pg: true, registry: true };

  set(part: HealthPart, ok: boolean): void {
    this.parts[part] = ok;
    connectorHealthy.set({ component: 'sink' }, this.healthy() ? 1 : 0);
  }

  healthy(): boolean {
    return this.parts.kafka && this.parts.pg && this.parts.registry;
  }
}
