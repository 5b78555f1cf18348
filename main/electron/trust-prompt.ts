/** The person's side of certificate pinning: the first-use question and the mismatch warning. */
import { dialog, type BrowserWindow } from 'electron';
import { firstUseMessage, mismatchMessage, type PinDecision } from '../core/pinning.js';

export async function askFirstUse(decision: Extract<PinDecision, { kind: 'ask' }>, hostname: string, parent: BrowserWindow | undefined): Promise<boolean> {
  const { title, detail } = firstUseMessage(decision, hostname);
  const options = { type: 'question' as const, title: 'New site certificate', message: title, detail, buttons: ['Trust this certificate', 'Cancel'], defaultId: 1, cancelId: 1, noLink: true };
  const { response } = parent ? await dialog.showMessageBox(parent, options) : await dialog.showMessageBox(options);
  return response === 0;
}

export function warnMismatch(decision: Extract<PinDecision, { kind: 'refuse' }>, hostname: string, parent: BrowserWindow | undefined): void {
  const { title, detail } = mismatchMessage(decision, hostname);
  const options = { type: 'error' as const, title: 'Certificate changed', message: title, detail, buttons: ['OK'], noLink: true };
  void (parent ? dialog.showMessageBox(parent, options) : dialog.showMessageBox(options));
}
