/** How alarm states and severities read on screen (ISA-18.2 names, short). */
export const STATE_TEXT: Record<string, string> = {
  active_unacknowledged: 'Active · unacked',
  active_acknowledged: 'Active · acked',
  cleared_unacknowledged: 'Cleared · unacked',
  shelved: 'Shelved',
  out_of_service: 'Out of service',
  normal: 'Normal',
};

export function stateText(state: string): string {
  return STATE_TEXT[state] ?? state;
}

export function needsAck(state: string): boolean {
  return state === 'active_unacknowledged' || state === 'cleared_unacknowledged';
}

const SEVERITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };

export function severityRank(severity: string): number {
  return SEVERITY_RANK[severity] ?? 4;
}

/** Console order: unacknowledged first, then by severity, newest first. */
export function alarmOrder(a: { state: string; severity: string; triggered_at: number }, b: { state: string; severity: string; triggered_at: number }): number {
  const shelvedA = a.state === 'shelved' ? 1 : 0;
  const shelvedB = b.state === 'shelved' ? 1 : 0;
  if (shelvedA !== shelvedB) return shelvedA - shelvedB;
  const ackA = needsAck(a.state) ? 0 : 1;
  const ackB = needsAck(b.state) ? 0 : 1;
  if (ackA !== ackB) return ackA - ackB;
  const sev = severityRank(a.severity) - severityRank(b.severity);
  if (sev !== 0) return sev;
  return b.triggered_at - a.triggered_at;
}
