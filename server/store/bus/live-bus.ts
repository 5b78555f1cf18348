/**
 * Bus — live events between the ingest pipeline, the alarm service and WebSocket clients
 * (DESIGN.md §3). In process on one host; Redis pub/sub between nodes (same interface).
 * Events always carry their factoryId: consumers filter by it, and nothing is ever
 * delivered to a socket of another factory.
 */
import type { AlarmDelta } from '../../alarms/ports.js';
import type { SeriesValue } from '../series/series-store.js';

/**
 * One stored value. The ingest pipeline publishes its SeriesPoints as they are (same fields,
 * plus the ids the event carries anyway): no second object per value on the hot path.
 */
export interface LiveSample {
  parameter: string;
  ts: number;
  value: SeriesValue;
}

export type LiveEvent =
  | { type: 'samples'; factoryId: number; deviceId: number; samples: LiveSample[] }
  | { type: 'device_status'; factoryId: number; deviceId: number; status: 'online' | 'offline'; lastSeen: number | null }
  | { type: 'alarm'; factoryId: number; deviceId: number; delta: AlarmDelta };

export type LiveEventHandler = (event: LiveEvent) => void;

export interface LiveBus {
  publish(event: LiveEvent): void;
  subscribe(handler: LiveEventHandler): () => void;
  close(): Promise<void>;
}

/** In-process bus: synchronous fan-out; a throwing handler never stops the others. */
export function createMemoryBus(onHandlerError: (error: unknown) => void = () => {}): LiveBus {
  const handlers = new Set<LiveEventHandler>();
  return {
    publish(event) {
      for (const handler of handlers) {
        try {
          handler(event);
        } catch (error) {
          onHandlerError(error);
        }
      }
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    async close() {
      handlers.clear();
    },
  };
}
