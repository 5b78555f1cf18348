/**
 * Wall display: large type, no navigation or menus, one layout (overview, alarms or a set of
 * trends), optionally cycling. The annunciator and the disconnected banner stay on screen in
 * every layout. The session keeps itself alive through refreshes (session store); this page
 * never asks for a password while the refresh token is valid.
 */
import { useEffect, useMemo, useState } from 'react';
import { WALL_LAYOUTS, type WallLayout } from '../../../engine/contract/bridge.js';
import { AlarmTable } from '../components/alarms/AlarmTable';
import { alarmOrder } from '../components/alarms/alarm-labels';
import { DeviceStatusGrid } from '../components/overview/DeviceStatusGrid';
import { NewestAlarms } from '../components/overview/NewestAlarms';
import { SummaryTiles } from '../components/overview/SummaryTiles';
import { AnnunciatorBanner } from '../components/shell/AnnunciatorBanner';
import { DisconnectedBanner } from '../components/shell/DisconnectedBanner';
import { LinkIndicator } from '../components/shell/LinkIndicator';
import { PEN_COLORS } from '../components/trend/trend-options';
import { TrendPanel } from '../components/trend/TrendPanel';
import { formatTime } from '../lib/format';
import type { WallConfig } from '../lib/wall';
import { useAlarms } from '../stores/alarm-store';
import { useNow } from '../stores/clock-store';
import { deviceLabel, useDevices } from '../stores/devices-store';
import { ensureParameters, keyParameters, parameterLabel, useParameters } from '../stores/parameters-store';
import { loadRules, useRules } from '../stores/rules-store';
import { useSession } from '../stores/session-store';

const LAYOUT_TITLE: Record<WallLayout, string> = { overview: 'Overview', alarms: 'Alarms', trends: 'Trends' };
const WALL_TRENDS = 4;
/** Matches .fo-wall-trends: columns at least this wide, this gap. */
const TREND_MIN_WIDTH = 560;
const TREND_GAP = 12;
/** Screen height not available to the charts: header, annunciator, padding, and per trend its title and legend. */
const WALL_CHROME_PX = 150;
const TREND_CHROME_PX = 100;
const WALL_TREND_FONT_PX = 16;

function useViewport(): { width: number; height: number } {
  const [size, setSize] = useState(() => ({ width: window.innerWidth, height: window.innerHeight }));
  useEffect(() => {
    const onResize = () => setSize({ width: window.innerWidth, height: window.innerHeight });
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);
  return size;
}

/** Chart height so that `count` trends fill the screen (one to four, in as many columns as fit). */
export function wallTrendHeight(count: number, viewport: { width: number; height: number }): number {
  const columns = Math.max(1, Math.min(count, Math.floor((viewport.width - 36 + TREND_GAP) / (TREND_MIN_WIDTH + TREND_GAP))));
  const rows = Math.max(1, Math.ceil(count / columns));
  const perRow = (viewport.height - WALL_CHROME_PX - (rows - 1) * TREND_GAP) / rows;
  return Math.max(200, Math.floor(perRow - TREND_CHROME_PX));
}

function WallAlarms() {
  const open = useAlarms((s) => s.open);
  const now = useNow();
  const list = useMemo(() => [...open.values()].sort(alarmOrder), [open]);
  return (
    <section className="fo-section" data-testid="wall-alarms">
      <AlarmTable alarms={list} now={now} compact emptyText="No open alarms." />
    </section>
  );
}

function WallTrend({ deviceId, height }: { deviceId: number; height: number }) {
  const device = useDevices((s) => s.byId.get(deviceId));
  const parameters = useParameters(deviceId);
  const rules = useRules((s) => s.list);
  const deviceRules = useMemo(() => rules.filter((r) => r.scope === 'global' || r.device_ids.includes(deviceId)), [rules, deviceId]);
  const pens = useMemo(
    () =>
      keyParameters(parameters, 3)
        .filter((p) => p.data_type !== 'string')
        .map((p, i) => ({ key: p.parameter_key, label: parameterLabel(p), unit: p.unit, color: PEN_COLORS[i % PEN_COLORS.length] as string })),
    [parameters],
  );
  return (
    <section className="fo-section">
      <div className="fo-section-head">{device ? deviceLabel(device) : `device ${deviceId}`}</div>
      <div className="fo-section-body">{parameters ? <TrendPanel deviceId={deviceId} pens={pens} rules={deviceRules} height={height} fontPx={WALL_TREND_FONT_PX} bare /> : null}</div>
    </section>
  );
}

function WallTrends({ devices }: { devices: number[] }) {
  const all = useDevices((s) => s.list);
  const ids = useMemo(() => (devices.length > 0 ? devices : all.filter((d) => d.is_active).map((d) => d.id)).slice(0, WALL_TRENDS), [devices, all]);
  useEffect(() => void ensureParameters(ids), [ids]);
  const height = wallTrendHeight(ids.length, useViewport());
  return (
    <div className="fo-wall-trends" data-testid="wall-trends">
      {ids.map((id) => (
        <WallTrend key={id} deviceId={id} height={height} />
      ))}
      {ids.length === 0 && <div className="fo-muted">No devices to trend.</div>}
    </div>
  );
}

export function WallPage({ config }: { config: WallConfig }) {
  const factory = useSession((s) => s.factory);
  const now = useNow();
  const [layout, setLayout] = useState<WallLayout>(config.layout);
  useEffect(() => void loadRules(), []);
  useEffect(() => {
    if (!config.cycleSeconds) return;
    const timer = setInterval(() => setLayout((l) => WALL_LAYOUTS[(WALL_LAYOUTS.indexOf(l) + 1) % WALL_LAYOUTS.length] as WallLayout), config.cycleSeconds * 1000);
    return () => clearInterval(timer);
  }, [config.cycleSeconds]);
  return (
    <div className="fo-wall" data-testid="wall" data-layout={layout}>
      <div className="fo-wall-head">
        <span className="fo-brand">{factory?.name ?? 'FactoryOps'}</span>
        <span className="fo-muted">{LAYOUT_TITLE[layout]}</span>
        <span className="fo-spacer" />
        <LinkIndicator />
        <span className="fo-wall-clock">{formatTime(now, now)}</span>
      </div>
      <AnnunciatorBanner />
      <DisconnectedBanner />
      <main className="fo-main">
        {layout === 'overview' && (
          <>
            <SummaryTiles />
            <div className="fo-cols">
              <DeviceStatusGrid />
              <NewestAlarms limit={10} />
            </div>
          </>
        )}
        {layout === 'alarms' && <WallAlarms />}
        {layout === 'trends' && <WallTrends devices={config.devices} />}
      </main>
    </div>
  );
}
