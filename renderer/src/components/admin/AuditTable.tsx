/** Audit entries, newest first; a row opens to show its details in full. */
import { HTMLTable } from '@blueprintjs/core';
import { Fragment, useState } from 'react';
import type { AuditEntry } from '../../api/users-api';
import { formatDateTime, parseIso } from '../../lib/format';

/** One line of the details for the table cell; the full JSON is shown when the row opens. */
export function detailsLine(details: unknown): string {
  if (details === null || details === undefined) return '';
  const text = JSON.stringify(details);
  return text.length > 140 ? `${text.slice(0, 140)}…` : text;
}

export function AuditTable({ entries }: { entries: readonly AuditEntry[] }) {
  const [open, setOpen] = useState<number | null>(null);
  return (
    <HTMLTable compact className="fo-table" data-testid="audit-table">
      <thead>
        <tr>
          <th>Time</th>
          <th>Who</th>
          <th>Action</th>
          <th>Target</th>
          <th>Details</th>
          <th>From</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <Fragment key={e.id}>
            <tr className="fo-click" onClick={() => setOpen(open === e.id ? null : e.id)} data-testid={`audit-row-${e.id}`} data-action={e.action}>
              <td className="fo-num">{formatDateTime(parseIso(e.created_at))}</td>
              <td>{e.actor}</td>
              <td className="fo-mono">{e.action}</td>
              <td>
                {e.target_type}
                {e.target_id !== null ? ` #${e.target_id}` : ''}
              </td>
              <td className="fo-mono fo-dim" style={{ maxWidth: 480, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
                {detailsLine(e.details)}
              </td>
              <td className="fo-dim">{e.ip ?? '—'}</td>
            </tr>
            {open === e.id && (
              <tr>
                <td colSpan={6}>
                  <pre className="fo-json" data-testid="audit-details">
                    {JSON.stringify(e.details, null, 2)}
                  </pre>
                  <span className="fo-dim">request {e.request_id ?? '—'}</span>
                </td>
              </tr>
            )}
          </Fragment>
        ))}
      </tbody>
    </HTMLTable>
  );
}
