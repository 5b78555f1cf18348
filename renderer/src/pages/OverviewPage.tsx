/** Overview: factory KPIs, the device status grid and the newest alarms — all live. */
import { useEffect } from 'react';
import { DeviceStatusGrid } from '../components/overview/DeviceStatusGrid';
import { NewestAlarms } from '../components/overview/NewestAlarms';
import { SummaryTiles } from '../components/overview/SummaryTiles';
import { loadRules } from '../stores/rules-store';

export function OverviewPage() {
  useEffect(() => void loadRules(), []);
  return (
    <div>
      <SummaryTiles />
      <div className="fo-cols">
        <DeviceStatusGrid />
        <NewestAlarms />
      </div>
    </div>
  );
}
