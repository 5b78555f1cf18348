/**
 * Short-lived access tokens: HS256 JWTs (jose) carrying who (sub), which factory and which
 * role. The server still loads the user on each request, so a deactivated person is locked
 * out at once rather than when the token expires.
 */
import { errors, jwtVerify, SignJWT } from 'jose';
import { isRole, type Role } from '../../engine/contract/roles.js';

const ISSUER = 'factoryops';
const AUDIENCE = 'factoryops-api';

export interface AccessClaims {
  userId: number;
  factoryId: number;
  role: Role;
}

export type VerifyResult = { ok: true; claims: AccessClaims } | { ok: false; reason: 'expired' | 'invalid' };

export class AccessTokens {
  constructor(
    private readonly secret: Uint8Array,
    readonly ttlSeconds: number,
  ) {}

  async sign(claims: AccessClaims, nowMs: number): Promise<string> {
    const iat = Math.floor(nowMs / 1000);
    return new SignJWT({ factory_id: claims.factoryId, role: claims.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(claims.userId))
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.ttlSeconds)
      .sign(this.secret);
  }

  async verify(token: string, nowMs: number): Promise<VerifyResult> {
    try {
      const { payload } = await jwtVerify(token, this.secret, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        currentDate: new Date(nowMs),
      });
      const userId = Number(payload.sub);
      const factoryId = payload.factory_id;
      const role = payload.role;
      if (!Number.isInteger(userId) || userId < 1 || typeof factoryId !== 'number' || !Number.isInteger(factoryId) || !isRole(role)) {
        return { ok: false, reason: 'invalid' };
      }
      return { ok: true, claims: { userId, factoryId, role } };
    } catch (error) {
      return { ok: false, reason: error instanceof errors.JWTExpired ? 'expired' : 'invalid' };
    }
  }
}
