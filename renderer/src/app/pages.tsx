/**
 * Every page of the console in one list: which routes it renders, its navigation entry (label,
 * order, who sees it) and how it is drawn. The shell's navigation and the router both read
 * this list, so a new page is one entry here.
 *
 * Rules, Users and Audit (pages/RulesPage.tsx, UsersPage.tsx, AuditPage.tsx) are added by
 * their own change as entries like:
 *   { routes: ['rules', 'rule'], nav: { label: 'Rules', href: '#/rules', visible: () => true }, render: (r) => <RulesPage route={r} /> },
 * Until an entry exists for a route, it shows "not part of this build" instead of a blank page.
 */
import type { ReactNode } from 'react';
import { roleAtLeast, type Role } from '../../../engine/contract/roles.js';
import type { Route } from '../lib/router';
import { AlarmsPage } from '../pages/AlarmsPage';
import { DevicePage } from '../pages/DevicePage';
import { MachinesPage } from '../pages/MachinesPage';
import { OverviewPage } from '../pages/OverviewPage';
import { AuditPage } from '../pages/AuditPage';
import { RulesPage } from '../pages/RulesPage';
import { SettingsPage } from '../pages/SettingsPage';
import { UsersPage } from '../pages/UsersPage';

export interface NavEntry {
  label: string;
  href: string;
  /** Who sees the entry (the server enforces access; this only hides what would be refused). */
  visible: (role: Role) => boolean;
}

export interface PageEntry {
  routes: readonly Route['page'][];
  nav?: NavEntry;
  render: (route: Route) => ReactNode;
}

const everyone = () => true;

export const PAGES: PageEntry[] = [
  { routes: ['overview'], nav: { label: 'Overview', href: '#/overview', visible: everyone }, render: () => <OverviewPage /> },
  { routes: ['alarms'], nav: { label: 'Alarms', href: '#/alarms', visible: everyone }, render: () => <AlarmsPage /> },
  {
    routes: ['machines', 'device'],
    nav: { label: 'Machines', href: '#/machines', visible: everyone },
    render: (route) => (route.page === 'device' ? <DevicePage key={route.id} deviceId={route.id} /> : <MachinesPage />),
  },
  { routes: ['rules', 'rule'], nav: { label: 'Rules', href: '#/rules', visible: everyone }, render: (route) => <RulesPage route={route} /> },
  { routes: ['users'], nav: { label: 'Users', href: '#/users', visible: (role) => role === 'super_admin' }, render: () => <UsersPage /> },
  { routes: ['audit'], nav: { label: 'Audit', href: '#/audit', visible: (role) => roleAtLeast(role, 'admin') }, render: () => <AuditPage /> },
  { routes: ['settings'], render: () => <SettingsPage /> },
];

/** The entry that draws `route`, if any. */
export function pageFor(route: Route): PageEntry | undefined {
  return PAGES.find((p) => p.routes.includes(route.page));
}

/** Navigation entries the role may see, in list order. */
export function navFor(role: Role): Array<NavEntry & { routes: readonly Route['page'][] }> {
  return PAGES.flatMap((p) => (p.nav && p.nav.visible(role) ? [{ ...p.nav, routes: p.routes }] : []));
}
