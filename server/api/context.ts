/** What route plugins receive: the services they may use, wired once in app.ts. */
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { AccessTokens } from '../auth/access-tokens.js';
import type { Guards } from '../auth/guards.js';
import type { SessionService } from '../auth/sessions.js';
import type { Mailer } from '../notify/mailer.js';
import type { HealthChecks } from '../observe/health.js';
import type { ServerMetrics } from '../observe/metrics.js';
import type { MetaStore } from '../store/meta/meta-store.js';

export interface ApiContext {
  meta: MetaStore;
  tokens: AccessTokens;
  sessions: SessionService;
  throttle: LoginThrottle;
  guards: Guards;
  metrics: ServerMetrics;
  health: HealthChecks;
  mailer: Mailer | null;
  clock: () => number;
  /** Base URL for links people open (invites). */
  publicUrl: string;
  version: string;
  /** How long a device may be silent before it counts as offline, ms. */
  offlineAfterMs: number;
  /** A device changed through the API (deactivated, key rotated): ingest forgets and disconnects it. */
  deviceChanged(factoryId: number, deviceId: number, deviceKey: string): void;
}
