import { describe, expect, it } from 'vitest';
import { AlarmNotificationFilter } from '../../../main/core/alarm-notifications.js';

const critical = (alarmId: number) => ({ alarmId, severity: 'critical' as const, title: `Alarm ${alarmId}`, body: 'over limit' });

describe('alarm notifications', () => {
  it('shows up to three critical alarms a minute, then one flood summary, then resumes', () => {
    const filter = new AlarmNotificationFilter({ burstLimit: 3, windowMs: 60_000, remember: 100 });
    const shown = [1, 2, 3, 4, 5, 6].map((id, i) => filter.consider(critical(id), 1_000 * i));
    expect(shown.map((plan) => plan?.title ?? null)).toEqual(['Critical alarm: Alarm 1', 'Critical alarm: Alarm 2', 'Critical alarm: Alarm 3', 'Alarm flood', null, null]);
    expect(shown[3]?.alarmId).toBe(4);
    expect(filter.consider(critical(7), 120_000)?.title).toBe('Critical alarm: Alarm 7');
  });

  it('forgets the oldest ids beyond its memory', () => {
    const filter = new AlarmNotificationFilter({ burstLimit: 100, windowMs: 1, remember: 2 });
    filter.consider(critical(1), 0);
    filter.consider(critical(2), 10);
    filter.consider(critical(3), 20);
    expect(filter.consider(critical(3), 30)).toBeNull();
    expect(filter.consider(critical(1), 40)?.alarmId).toBe(1);
  });
});
