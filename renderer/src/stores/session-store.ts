/**
 * The signed-in session: who, which factory, the access token (memory only) and the rotating
 * refresh token (through the host's transport). Tokens are refreshed ahead of expiry. A
 * network failure never signs anyone out — a wall display keeps its session through a server
 * restart and resumes when the server answers; only a refused refresh token ends the session.
 */
import { createStore, useStore } from 'zustand';
import { authApi } from '../api/auth-api.js';
import { ApiFailure, setTokenSource } from '../api/http.js';
import { transport } from '../api/transport.js';
import type { Factory, Tokens, User } from '../api/types.js';

export type SessionPhase =
  /** Reading a stored refresh token. */
  | 'starting'
  /** A refresh token exists but the server cannot be reached yet: keep trying, do not ask for a password. */
  | 'waiting'
  | 'signed_out'
  | 'signed_in';

export interface SessionState {
  phase: SessionPhase;
  user: User | null;
  factory: Factory | null;
  accessToken: string | null;
  /** Epoch ms at which the access token expires. */
  accessExpiresAt: number;
  /** Why the person is on the sign-in screen (session ended, server unreachable). */
  notice: string | null;
  /** While waiting: the last failure and when the next try is. */
  waitingReason: string | null;
  nextTryAt: number | null;
}

const initial: SessionState = {
  phase: 'starting',
  user: null,
  factory: null,
  accessToken: null,
  accessExpiresAt: 0,
  notice: null,
  waitingReason: null,
  nextTryAt: null,
};

export const sessionStore = createStore<SessionState>()(() => initial);
export const useSession = <T>(select: (s: SessionState) => T): T => useStore(sessionStore, select);

let refreshToken: string | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | null = null;
let inFlight: Promise<string | null> | null = null;
let failures = 0;
const tokenListeners = new Set<(token: string) => void>();

/** Called with every new access token (the stream re-authenticates with it). */
export function onAccessToken(listener: (token: string) => void): () => void {
  tokenListeners.add(listener);
  return () => tokenListeners.delete(listener);
}

function clearTimer(): void {
  if (refreshTimer) clearTimeout(refreshTimer);
  refreshTimer = null;
}

async function adopt(tokens: Tokens): Promise<void> {
  refreshToken = tokens.refresh_token;
  await transport().saveRefreshToken(tokens.refresh_token);
  const ttlMs = tokens.expires_in * 1000;
  failures = 0;
  sessionStore.setState({
    phase: 'signed_in',
    user: tokens.user,
    factory: tokens.factory,
    accessToken: tokens.access_token,
    accessExpiresAt: Date.now() + ttlMs,
    notice: null,
    waitingReason: null,
    nextTryAt: null,
  });
  for (const listener of tokenListeners) listener(tokens.access_token);
  // Refresh at 80 % of the lifetime (at least 5 s before the end), so the stream and requests
  // never meet an expired token in normal operation.
  clearTimer();
  refreshTimer = setTimeout(() => void refreshNow(), Math.max(1000, Math.min(ttlMs * 0.8, ttlMs - 5000)));
}

async function endSession(notice: string | null): Promise<void> {
  clearTimer();
  refreshToken = null;
  await transport().saveRefreshToken(null);
  sessionStore.setState({ ...initial, phase: 'signed_out', notice });
}

/**
 * Rotates the refresh token. Concurrent callers share one request (a rotated token can be
 * used only once). Returns the new access token, or null when there is none for now.
 */
export function refreshNow(): Promise<string | null> {
  if (inFlight) return inFlight;
  const token = refreshToken;
  if (!token) return Promise.resolve(null);
  inFlight = (async () => {
    try {
      const tokens = await authApi.refresh(token);
      await adopt(tokens);
      return tokens.access_token;
    } catch (error) {
      if (error instanceof ApiFailure && (error.status === 401 || error.code === 'REFRESH_TOKEN_INVALID')) {
        await endSession('Your session has ended (signed out elsewhere, deactivated, or expired). Please sign in again.');
        return null;
      }
      // Server unreachable or failing: keep the session and try again with backoff.
      failures += 1;
      const delay = Math.min(60_000, 2000 * 2 ** Math.min(failures - 1, 5));
      const state = sessionStore.getState();
      const reason = error instanceof Error ? error.message : String(error);
      if (state.phase !== 'signed_in') sessionStore.setState({ phase: 'waiting', waitingReason: reason, nextTryAt: Date.now() + delay });
      clearTimer();
      refreshTimer = setTimeout(() => void refreshNow(), delay);
      return null;
    } finally {
      inFlight = null;
    }
  })();
  return inFlight;
}

/** On start: resume the stored session if there is one. */
export async function restoreSession(): Promise<void> {
  refreshToken = await transport().loadRefreshToken();
  if (!refreshToken) {
    sessionStore.setState({ phase: 'signed_out' });
    return;
  }
  await refreshNow();
}

export async function signIn(factorySlug: string, email: string, password: string): Promise<void> {
  const tokens = await authApi.login(factorySlug, email, password);
  await adopt(tokens);
}

/** Accepts an invitation (sets the password) and starts the session it answers with. */
export async function acceptInvite(token: string, password: string): Promise<void> {
  const tokens = await authApi.acceptInvite(token, password);
  await adopt(tokens);
}

/**
 * For the invitation page: start signed out without resuming a stored session, so the person
 * who opened the link is never shown someone else's console first.
 */
export function startWithoutSession(): void {
  sessionStore.setState({ phase: 'signed_out' });
}

export async function signOut(): Promise<void> {
  const token = refreshToken;
  await endSession(null);
  if (token) await authApi.logout(token).catch(() => {
    // Unreachable server: the token is forgotten here and expires there.
  });
}

/** A valid access token for the stream: the current one, or a refreshed one if it is about to expire. */
export async function freshAccessToken(): Promise<string | null> {
  const { accessToken, accessExpiresAt, phase } = sessionStore.getState();
  if (phase !== 'signed_in') return null;
  if (accessToken && accessExpiresAt - Date.now() > 10_000) return accessToken;
  return refreshNow();
}

/** Hands the token to the HTTP layer once at start. */
export function connectSessionToHttp(): void {
  setTokenSource({
    accessToken: () => sessionStore.getState().accessToken,
    refreshAfterRejection: () => refreshNow(),
  });
}

/** For the sign-in screen: forget a stored-but-unreachable session and ask for credentials. */
export async function abandonWaiting(): Promise<void> {
  await endSession(null);
}
