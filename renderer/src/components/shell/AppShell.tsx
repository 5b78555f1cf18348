/** The frame around every page: navigation, the annunciator, the disconnected banner. */
import { AnchorButton, Navbar, NavbarDivider, NavbarGroup } from '@blueprintjs/core';
import type { ReactNode } from 'react';
import { navFor } from '../../app/pages';
import type { Route } from '../../lib/router';
import { useSession } from '../../stores/session-store';
import { AnnunciatorBanner } from './AnnunciatorBanner';
import { DisconnectedBanner } from './DisconnectedBanner';
import { LinkIndicator } from './LinkIndicator';
import { UserMenu } from './UserMenu';

export function AppShell({ route, children }: { route: Route; children: ReactNode }) {
  const role = useSession((s) => s.user?.role ?? 'viewer');
  const factory = useSession((s) => s.factory);
  const items = navFor(role);
  return (
    <div className="fo-app">
      <Navbar className="fo-navbar">
        <NavbarGroup align="left">
          <span className="fo-brand">
            FactoryOps<small>{factory?.name}</small>
          </span>
          <NavbarDivider />
          {items.map((i) => (
            <AnchorButton
              key={i.label}
              variant="minimal"
              href={i.href}
              className={`fo-nav-link${i.routes.includes(route.page) ? ' fo-active' : ''}`}
              text={i.label}
              data-testid={`nav-${i.routes[0]}`}
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
