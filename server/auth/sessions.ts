/**
 * Sign-in sessions: password login, rotating refresh tokens with reuse detection, logout.
 *
 * A refresh token is `{factoryId}.{random}`; only its SHA-256 is stored. Each exchange marks
 * the old token used and issues a new one in the same family. Presenting a used token again
 * means it was copied: the whole family is revoked and the person must sign in again.
 */
import { randomUUID } from 'node:crypto';
import type { Factory, User } from '../store/meta/models.js';
import type { MetaStore } from '../store/meta/meta-store.js';
import { normalizeEmail } from '../store/meta/repositories/users.js';
import { ApiError } from '../api/api-error.js';
import type { AccessTokens } from './access-tokens.js';
import type { LoginThrottle } from './login-throttle.js';
import { burnPasswordCheck, verifyPassword } from './passwords.js';
import { randomToken, sha256Hex } from './secrets.js';

export interface ClientInfo {
  ip: string;
  userAgent: string | null;
  requestId: string;
}

export interface IssuedSession {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: User;
  factory: Factory;
}

export type LoginFailureReason = 'unknown_factory' | 'unknown_user' | 'inactive' | 'bad_password' | 'throttled';

export class SessionService {
  constructor(
    private readonly meta: MetaStore,
    private readonly tokens: AccessTokens,
    private readonly throttle: LoginThrottle,
    private readonly refreshTtlSeconds: number,
    private readonly clock: () => number,
    private readonly onFailure: (reason: LoginFailureReason) => void = () => {},
  ) {}

  async login(factorySlug: string, email: string, password: string, client: ClientInfo): Promise<IssuedSession> {
    const now = this.clock();
    const account = `${factorySlug}:${normalizeEmail(email)}`;
    // Counted as a failure now, before the slow checks below, and given back on success.
    const wait = this.throttle.begin(account, client.ip, now);
    if (wait > 0) {
      this.onFailure('throttled');
      throw new ApiError('TOO_MANY_REQUESTS', `too many failed sign-ins; try again in ${wait} s`, undefined, {
        'retry-after': String(wait),
      });
    }
    const fail = (reason: LoginFailureReason): never => {
      this.onFailure(reason);
      if (reason === 'unknown_factory') throw new ApiError('FACTORY_NOT_FOUND', `factory "${factorySlug}" does not exist`);
      // One answer for every other reason: no hint whether the account exists.
      throw new ApiError('INVALID_CREDENTIALS', 'e-mail or password is wrong, or the account is not active');
    };

    const factory = await this.meta.factories.getBySlug(factorySlug);
    if (!factory) {
      await burnPasswordCheck(password);
      return fail('unknown_factory');
    }
    const user = await this.meta.users.findByEmail(factory.id, email);
    if (!user || user.hashedPassword === null) {
      await burnPasswordCheck(password);
      return fail('unknown_user');
    }
    if (!(await verifyPassword(user.hashedPassword, password))) return fail('bad_password');
    if (!user.isActive) return fail('inactive');

    this.throttle.succeeded(account, client.ip, now);
    await this.meta.users.recordLogin(factory.id, user.id, now);
    await this.meta.audit.record(
      factory.id,
      { userId: user.id, actor: user.email, action: 'auth.login', targetType: 'user', targetId: user.id, ip: client.ip, requestId: client.requestId },
      now,
    );
    const { hashedPassword: _secret, ...publicUser } = user;
    return this.issue(factory, { ...publicUser, lastLogin: now }, randomUUID(), client, now);
  }

  /** Issues a first session for someone who just proved who they are another way (invite). */
  async start(factory: Factory, user: User, client: ClientInfo): Promise<IssuedSession> {
    return this.issue(factory, user, randomUUID(), client, this.clock());
  }

  async refresh(refreshToken: string, client: ClientInfo): Promise<IssuedSession> {
    const now = this.clock();
    const invalid = () => new ApiError('REFRESH_TOKEN_INVALID', 'refresh token is invalid, expired or already used; sign in again');
    const factoryId = factoryOf(refreshToken);
    if (factoryId === null) throw invalid();
    const record = await this.meta.refreshTokens.find(factoryId, sha256Hex(refreshToken));
    if (!record || record.revokedAt !== null || record.expiresAt <= now) throw invalid();

    if (record.usedAt !== null || !(await this.meta.refreshTokens.markUsed(factoryId, record.id, now))) {
      // Replay of a rotated token: someone else holds a copy. End the whole family.
      await this.meta.refreshTokens.revokeFamily(factoryId, record.familyId, now);
      await this.meta.audit.record(
        factoryId,
        { userId: record.userId, actor: 'system', action: 'auth.refresh_reuse_detected', targetType: 'user', targetId: record.userId, ip: client.ip, requestId: client.requestId },
        now,
      );
      throw invalid();
    }
    const [factory, user] = await Promise.all([this.meta.factories.get(factoryId), this.meta.users.get(factoryId, record.userId)]);
    if (!factory || !user || !user.isActive) throw invalid();
    return this.issue(factory, user, record.familyId, client, now);
  }

  /**
   * Ends the session the refresh token belongs to (all its rotations). Unknown tokens are
   * ignored; for a live session, whose it was (for the audit log).
   */
  async logout(refreshToken: string): Promise<{ factoryId: number; userId: number } | null> {
    const factoryId = factoryOf(refreshToken);
    if (factoryId === null) return null;
    const record = await this.meta.refreshTokens.find(factoryId, sha256Hex(refreshToken));
    if (!record || record.revokedAt !== null) return null;
    await this.meta.refreshTokens.revokeFamily(factoryId, record.familyId, this.clock());
    return { factoryId, userId: record.userId };
  }

  async logoutEverywhere(factoryId: number, userId: number): Promise<void> {
    await this.meta.refreshTokens.revokeAllForUser(factoryId, userId, this.clock());
  }

  private async issue(factory: Factory, user: User, familyId: string, client: ClientInfo, now: number): Promise<IssuedSession> {
    const refreshToken = `${factory.id}.${randomToken(32)}`;
    await this.meta.refreshTokens.insert(
      factory.id,
      {
        userId: user.id,
        tokenHash: sha256Hex(refreshToken),
        familyId,
        expiresAt: now + this.refreshTtlSeconds * 1000,
        userAgent: client.userAgent,
        ip: client.ip,
      },
      now,
    );
    const accessToken = await this.tokens.sign({ userId: user.id, factoryId: factory.id, role: user.role }, now);
    return { accessToken, refreshToken, expiresIn: this.tokens.ttlSeconds, user, factory };
  }
}

function factoryOf(token: string): number | null {
  const match = /^(\d{1,10})\.[A-Za-z0-9_-]{20,}$/.exec(token);
  if (!match) return null;
  const id = Number(match[1]);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}
