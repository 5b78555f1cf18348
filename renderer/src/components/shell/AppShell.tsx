/** The frame around every page: navigation, the annunciator, the disconnected banner. */
import { AnchorButton, Navbar, NavbarDivider, NavbarGroup } from '@blueprintjs/core';
import type { ReactNode } from 'react';
import { roleAtLeast } from '../../../../engine/contract/roles.js';
import { hrefOf, type Route } from '../../lib/router';
import { useSession } from '../../stores/session-store';
import { AnnunciatorBanner } from './AnnunciatorBanner';
import { DisconnectedBanner } from './DisconnectedBanner';
import { LinkIndicator } from './LinkIndicator';
import { UserMenu } from './UserMenu';

interface NavItem {
  label: string;
  route: Route;
  match: Route['page'][];
  visible: boolean;
}

export function AppShell({ route, children }: { route: Route; children: ReactNode }) {
  const role = useSession((s) => s.user?.role ?? 'viewer');
  const factory = useSession((s) => s.factory);
  const items: NavItem[] = [
    { label: 'Overview', route: { page: 'overview' }, match: ['overview'], visible: true },
    { label: 'Alarms', route: { page: 'alarms' }, match: ['alarms'], visible: true },
    { label: 'Machines', route: { page: 'machines' }, match: ['machines', 'device'], visible: true },
    { label: 'Rules', route: { page: 'rules' }, match: ['rules', 'rule'], visible: true },
    { label: 'Users', route: { page: 'users' }, match: ['users'], visible: role === 'super_admin' },
    { label: 'Audit', route: { page: 'audit' }, match: ['audit'], visible: roleAtLeast(role, 'admin') },
  ];
  return (
    <div className="fo-app">
      <Navbar className="fo-navbar">
        <NavbarGroup align="left">
          <span className="fo-brand">
            FactoryOps<small>{factory?.name}</small>
          </span>
          <NavbarDivider />
          {items
            .filter((i) => i.visible)
            .map((i) => (
              <AnchorButton
                key={i.label}
                variant="minimal"
                href={hrefOf(i.route)}
                className={`fo-nav-link${i.match.includes(route.page) ? ' fo-active' : ''}`}
                text={i.label}
                data-testid={`nav-${i.route.page}`}
              />
            ))}
        </NavbarGroup>
        <NavbarGroup align="right">
          <LinkIndicator />
          <NavbarDivider />
          <UserMenu />
        </NavbarGroup>
      </Navbar>
      <AnnunciatorBanner />
      <DisconnectedBanner />
      <main className="fo-main">{children}</main>
    </div>
  );
}
