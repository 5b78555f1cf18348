/**
 * Trust on first use for site-server certificates. Factory servers mostly run with their own
 * self-signed certificate (server/bootstrap/site-certificate.ts), which no CA vouches for, so
 * the person confirms the fingerprint once (the server prints it at start, `fingerprint256`)
 * and the profile remembers it. From then on only that certificate is accepted for the
 * profile's host; a different one is refused with a warning that names both fingerprints,
 * even if a public CA would accept it (a replaced certificate is exactly what an attacker on
 * the plant network would present).
 */
import { X509Certificate } from 'node:crypto';

/** SHA-256 over the DER certificate, as "AB:CD:…" (the form browsers and the server show). */
export function fingerprintOfPem(pem: string): string {
  return new X509Certificate(pem).fingerprint256.toUpperCase();
}

export interface PinnedHost {
  profileId: string;
  profileName: string;
  /** Host name of the profile's server URL. */
  hostname: string;
  fingerprint: string | null;
}

export type PinDecision =
  /** Not a profile's server: Chromium's own verification decides. */
  | { kind: 'not-ours' }
  | { kind: 'accept'; profileId: string }
  /** First connection to this profile's server: show the fingerprint and ask. */
  | { kind: 'ask'; profileId: string; profileName: string; fingerprint: string }
  /** A pinned profile was offered another certificate: refuse, and warn. */
  | { kind: 'refuse'; profileId: string; profileName: string; pinned: string; presented: string };

/** Certificate check results are per host name (Chromium gives no port). */
export function decidePin(hostname: string, presented: string, hosts: readonly PinnedHost[]): PinDecision {
  const mine = hosts.filter((host) => host.hostname.toLowerCase() === hostname.toLowerCase());
  if (mine.length === 0) return { kind: 'not-ours' };
  const match = mine.find((host) => host.fingerprint === presented);
  if (match) return { kind: 'accept', profileId: match.profileId };
  const pinned = mine.find((host) => host.fingerprint !== null);
  if (pinned && pinned.fingerprint !== null) {
    return { kind: 'refuse', profileId: pinned.profileId, profileName: pinned.profileName, pinned: pinned.fingerprint, presented };
  }
  const first = mine[0] as PinnedHost;
  return { kind: 'ask', profileId: first.profileId, profileName: first.profileName, fingerprint: presented };
}

/** Text of the first-use question (the fingerprint in groups, as the server log prints it). */
export function firstUseMessage(decision: Extract<PinDecision, { kind: 'ask' }>, hostname: string): { title: string; detail: string } {
  return {
    title: `Trust the certificate of ${hostname}?`,
    detail:
      `This is the first connection of the profile "${decision.profileName}" to ${hostname}.\n\n` +
      `SHA-256 fingerprint:\n${decision.fingerprint}\n\n` +
      'Compare it with the fingerprint the site server shows (its start-up log, "fingerprint256", or your site administrator). ' +
      'Trust it only if they are the same: from now on this profile accepts only this certificate.',
  };
}

export function mismatchMessage(decision: Extract<PinDecision, { kind: 'refuse' }>, hostname: string): { title: string; detail: string } {
  return {
    title: `The certificate of ${hostname} has changed — connection refused`,
    detail:
      `The profile "${decision.profileName}" trusts only the certificate it saw first, and ${hostname} now presents another one. ` +
      'Someone on the network may be impersonating the site server, or the server got a new certificate.\n\n' +
      `Trusted:   ${decision.pinned}\nPresented: ${decision.presented}\n\n` +
      'Ask your site administrator. If the server really has a new certificate, use "Forget certificate" in the profile settings and connect again.',
  };
}
