/**
 * Hash routes (`#/devices/12`): they work the same when the server serves the UI and when
 * Electron loads it from its bundle, with no server-side route table to keep in step.
 */
import { useSyncExternalStore } from 'react';

export type Route =
  | { page: 'overview' }
  | { page: 'device'; id: number }
  | { page: 'alarms' }
  | { page: 'machines' }
  | { page: 'rules' }
  | { page: 'rule'; id: number | 'new' }
  | { page: 'users' }
  | { page: 'audit' }
  | { page: 'settings' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').split('?')[0] ?? '';
  const parts = path.split('/').filter(Boolean);
  const [first, second] = parts;
  const id = second !== undefined && /^\d+$/.test(second) ? Number(second) : null;
  switch (first) {
    case 'devices':
      return id !== null ? { page: 'device', id } : { page: 'machines' };
    case 'alarms':
      return { page: 'alarms' };
    case 'machines':
      return { page: 'machines' };
    case 'rules':
      if (second === 'new') return { page: 'rule', id: 'new' };
      return id !== null ? { page: 'rule', id } : { page: 'rules' };
    case 'users':
      return { page: 'users' };
    case 'audit':
      return { page: 'audit' };
    case 'settings':
      return { page: 'settings' };
    default:
      return { page: 'overview' };
  }
}

export function hrefOf(route: Route): string {
  switch (route.page) {
    case 'device':
      return `#/devices/${route.id}`;
    case 'rule':
      return `#/rules/${route.id}`;
    default:
      return `#/${route.page}`;
  }
}

export function navigate(route: Route): void {
  window.location.hash = hrefOf(route);
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseRoute(hash);
}
