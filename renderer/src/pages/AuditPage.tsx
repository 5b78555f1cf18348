/**
 * Audit log (admins): who changed what, newest first, 50 a page (GET /api/v1/audit pages with
 * page/per_page; it has no server-side filters, so the filter box narrows the page shown).
 *
 * Test ids: audit-table, audit-row-{id} (data-action), audit-details, audit-filter, audit-prev,
 * audit-next, audit-page.
 */
import { Button, Callout, InputGroup, NonIdealState, Spinner } from '@blueprintjs/core';
import { useEffect, useMemo, useState } from 'react';
import { roleAtLeast } from '../../../engine/contract/roles.js';
import { describeFailure } from '../api/http';
import type { Page } from '../api/types';
import { usersApi, type AuditEntry } from '../api/users-api';
import { AuditTable, detailsLine } from '../components/admin/AuditTable';
import { useSession } from '../stores/session-store';
import '../components/rules/rule-builder.css';

const PER_PAGE = 50;

export function AuditPage() {
  const role = useSession((s) => s.user?.role ?? 'viewer');
  const allowed = roleAtLeast(role, 'admin');
  const [page, setPage] = useState(1);
  const [result, setResult] = useState<Page<AuditEntry> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [filter, setFilter] = useState('');
  const [reload, setReload] = useState(0);

  useEffect(() => {
    if (!allowed) return;
    let alive = true;
    setLoading(true);
    usersApi
      .audit(page, PER_PAGE)
      .then((r) => {
        if (!alive) return;
        setResult(r);
        setError(null);
      })
      .catch((e: unknown) => alive && setError(describeFailure(e)))
      .finally(() => alive && setLoading(false));
    return () => {
      alive = false;
    };
  }, [allowed, page, reload]);

  const shown = useMemo(() => {
    const q = filter.trim().toLowerCase();
    const rows = result?.data ?? [];
    if (!q) return rows;
    return rows.filter((e) => [e.actor, e.action, e.target_type, e.target_id ?? '', e.ip ?? '', detailsLine(e.details)].some((t) => t.toLowerCase().includes(q)));
  }, [result, filter]);

  if (!allowed) return <NonIdealState icon="lock" title="Admins only" description="The audit log is open to admins and super admins." />;
  const pages = Math.max(1, result?.pagination.pages ?? 1);

  return (
    <div>
      <div className="fo-page-title">
        <h2>Audit log</h2>
        <span className="fo-dim">{result ? `${result.pagination.total} entries` : ''}</span>
        {loading && <Spinner size={14} />}
        <span className="fo-spacer" />
        <InputGroup size="small" leftIcon="search" placeholder="Filter this page" value={filter} onValueChange={setFilter} style={{ width: 220 }} data-testid="audit-filter" />
        <Button icon="refresh" variant="minimal" title="Read again" onClick={() => setReload((n) => n + 1)} />
        <Button icon="chevron-left" disabled={page <= 1} onClick={() => setPage((p) => Math.max(1, p - 1))} data-testid="audit-prev" title="Newer" />
        <span className="fo-num" data-testid="audit-page">
          {page} / {pages}
        </span>
        <Button icon="chevron-right" disabled={page >= pages} onClick={() => setPage((p) => p + 1)} data-testid="audit-next" title="Older" />
      </div>
      {error && (
        <Callout intent="danger" style={{ marginBottom: 8 }}>
          {error}
        </Callout>
      )}
      <section className="fo-section">
        <div className="fo-scroll">
          <AuditTable entries={shown} />
          {result && shown.length === 0 && <div className="fo-muted" style={{ padding: 8 }}>{result.data.length === 0 ? 'No entries.' : 'No entry on this page matches.'}</div>}
        </div>
      </section>
    </div>
  );
}
