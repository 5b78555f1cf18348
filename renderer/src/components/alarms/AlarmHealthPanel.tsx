/**
 * Alarm-system health for leads (ISA-18.2 §16, EEMUA 191): flood time, chattering and
 * standing alarms, and the most frequent ("bad actors") over the last day or week.
 */
import { Callout, HTMLTable, SegmentedControl, Spinner } from '@blueprintjs/core';
import { useEffect, useState } from 'react';
import { alertsApi, type AlarmHealth } from '../../api/alerts-api';
import { describeFailure } from '../../api/http';
import { formatDateTime, parseIso } from '../../lib/format';

const PERIODS = { '24h': 24, '7d': 24 * 7, '30d': 24 * 30 } as const;
type PeriodKey = keyof typeof PERIODS;

export function AlarmHealthPanel() {
  const [period, setPeriod] = useState<PeriodKey>('24h');
  const [health, setHealth] = useState<AlarmHealth | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    setHealth(null);
    setError(null);
    const end = Date.now();
    alertsApi
      .health(new Date(end - PERIODS[period] * 3_600_000).toISOString(), new Date(end).toISOString())
      .then((h) => !cancelled && setHealth(h))
      .catch((e: unknown) => !cancelled && setError(describeFailure(e)));
    return () => {
      cancelled = true;
    };
  }, [period]);

  const ref = (r: { rule_name: string | null; rule_id: number; device_name: string | null; device_id: number }) =>
    `${r.rule_name ?? `rule ${r.rule_id}`} · ${r.device_name ?? `device ${r.device_id}`}`;

  return (
    <div data-testid="alarm-health">
      <div className="fo-toolbar" style={{ marginBottom: 8 }}>
        <SegmentedControl size="small" options={Object.keys(PERIODS).map((k) => ({ label: k, value: k }))} value={period} onValueChange={(v) => setPeriod(v as PeriodKey)} />
      </div>
      {error && <Callout intent="danger">{error}</Callout>}
      {!health && !error && <Spinner size={24} />}
      {health && (
        <div className="fo-cols">
          <div>
            <div className="fo-tiles">
              <div className="fo-tile">
                <div className="fo-tile-label">Raised</div>
                <div className="fo-tile-value">{health.raised}</div>
                <div className="fo-tile-sub">{(health.raised / (PERIODS[period] / 24)).toFixed(0)} per day (EEMUA target ≤ 144)</div>
              </div>
              <div className={`fo-tile${health.flood.flooding ? ' fo-alert' : ''}`}>
                <div className="fo-tile-label">Time in flood</div>
                <div className="fo-tile-value">{health.flood.time_in_flood_percent}%</div>
                <div className="fo-tile-sub">
                  {health.flood.flooding ? 'IN FLOOD now' : 'not flooding'} · &gt;{health.flood.max_alarms}/{health.flood.window_minutes} min
                </div>
              </div>
              <div className="fo-tile">
                <div className="fo-tile-label">Chattering</div>
                <div className="fo-tile-value">{health.chattering.length}</div>
              </div>
              <div className="fo-tile">
                <div className="fo-tile-label">Standing &gt; 24 h</div>
                <div className="fo-tile-value">{health.standing.length}</div>
              </div>
            </div>
            <section className="fo-section">
              <div className="fo-section-head">Most frequent</div>
              <HTMLTable compact className="fo-table">
                <tbody>
                  {health.top.map((t) => (
                    <tr key={`${t.rule_id}:${t.device_id}`}>
                      <td>{ref(t)}</td>
                      <td className="fo-num">{t.count}</td>
                      <td className="fo-num fo-muted">{formatDateTime(parseIso(t.last_at))}</td>
                    </tr>
                  ))}
                  {health.top.length === 0 && (
                    <tr>
                      <td className="fo-muted">No alarms in this period.</td>
                    </tr>
                  )}
                </tbody>
              </HTMLTable>
            </section>
          </div>
          <div>
            <section className="fo-section">
              <div className="fo-section-head">Chattering (≥3 in 1 min)</div>
              <HTMLTable compact className="fo-table">
                <tbody>
                  {health.chattering.map((c) => (
                    <tr key={`${c.rule_id}:${c.device_id}`}>
                      <td>{ref(c)}</td>
                      <td className="fo-num">{c.max_in_window}/min</td>
                      <td className="fo-num">{c.total}</td>
                    </tr>
                  ))}
                  {health.chattering.length === 0 && (
                    <tr>
                      <td className="fo-muted">None.</td>
                    </tr>
                  )}
                </tbody>
              </HTMLTable>
            </section>
            <section className="fo-section">
              <div className="fo-section-head">Standing</div>
              <HTMLTable compact className="fo-table">
                <tbody>
                  {health.standing.map((s) => (
                    <tr key={`${s.rule_id}:${s.device_id}`}>
                      <td>{ref(s)}</td>
                      <td className="fo-num">{(s.duration_minutes / 60).toFixed(1)} h</td>
                    </tr>
                  ))}
                  {health.standing.length === 0 && (
                    <tr>
                      <td className="fo-muted">None.</td>
                    </tr>
                  )}
                </tbody>
              </HTMLTable>
            </section>
            {health.flood.periods.length > 0 && (
              <section className="fo-section">
                <div className="fo-section-head">Flood periods</div>
                <HTMLTable compact className="fo-table">
                  <tbody>
                    {health.flood.periods.map((p) => (
                      <tr key={p.start}>
                        <td className="fo-mono">{formatDateTime(parseIso(p.start))}</td>
                        <td className="fo-mono">{formatDateTime(parseIso(p.end))}</td>
                        <td className="fo-num">peak {p.peak}</td>
                      </tr>
                    ))}
                  </tbody>
                </HTMLTable>
              </section>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
