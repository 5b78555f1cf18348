/**
 * Which alarm notices become OS notifications. Only critical alarms interrupt the person;
 * each alarm once (the renderer reports it again after a reconnect); and during an alarm
 * flood a burst is summarised instead of stacking dozens of toasts on the desktop.
 */
import type { AlarmNotice } from '../../engine/contract/ipc.js';

export interface NotificationPlan {
  title: string;
  body: string;
  /** The alarm a click focuses (the newest of a summary). */
  alarmId: number;
}

export interface AlarmNotifierOptions {
  /** Individual notifications allowed per window before they are summarised. */
  burstLimit: number;
  windowMs: number;
  /** How many alarm ids are remembered for de-duplication. */
  remember: number;
}

export const DEFAULT_ALARM_NOTIFIER: AlarmNotifierOptions = { burstLimit: 3, windowMs: 60_000, remember: 2_000 };

export class AlarmNotificationFilter {
  private readonly seen = new Set<number>();
  private recent: number[] = [];
  private suppressed = 0;

  constructor(private readonly options: AlarmNotifierOptions = DEFAULT_ALARM_NOTIFIER) {}

  /** The notification to show for this notice, or null. `now` in ms. */
  consider(notice: AlarmNotice, now: number): NotificationPlan | null {
    if (notice.severity !== 'critical') return null;
    if (this.seen.has(notice.alarmId)) return null;
    this.seen.add(notice.alarmId);
    if (this.seen.size > this.options.remember) this.seen.delete(this.seen.values().next().value as number);
    this.recent = this.recent.filter((at) => now - at < this.options.windowMs);
    if (this.recent.length === 0) this.suppressed = 0;
    if (this.recent.length >= this.options.burstLimit) {
      // One summary per flood, then silence until the burst window has passed.
      this.suppressed += 1;
      if (this.suppressed > 1) return null;
      return { title: 'Alarm flood', body: 'More critical alarms are coming in than can be shown one by one. Open the alarm list.', alarmId: notice.alarmId };
    }
    this.recent.push(now);
    return { title: `Critical alarm: ${notice.title}`, body: notice.body, alarmId: notice.alarmId };
  }
}
