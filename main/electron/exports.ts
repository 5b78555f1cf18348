/** Print and export for a window: the OS print dialog, PDF of the page, and text files (CSV). */
import { dialog, type BrowserWindow } from 'electron';
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ExportResult, SaveFileRequest } from '../../engine/contract/ipc.js';

const FILTERS: Record<SaveFileRequest['mimeType'], Electron.FileFilter> = {
  'text/csv': { name: 'CSV', extensions: ['csv'] },
  'application/json': { name: 'JSON', extensions: ['json'] },
  'text/plain': { name: 'Text', extensions: ['txt'] },
};

export function printWindow(window: BrowserWindow): Promise<void> {
  return new Promise((resolve, reject) => {
    window.webContents.print({ silent: false, printBackground: true }, (success, reason) => {
      if (success || reason === 'cancelled') resolve();
      else reject(new Error(`printing failed: ${reason}`));
    });
  });
}

export async function exportPdf(window: BrowserWindow, suggestedName: string): Promise<ExportResult> {
  const choice = await dialog.showSaveDialog(window, { defaultPath: suggestedName.endsWith('.pdf') ? suggestedName : `${suggestedName}.pdf`, filters: [{ name: 'PDF', extensions: ['pdf'] }] });
  if (choice.canceled || !choice.filePath) return { saved: false, fileName: null };
  const pdf = await window.webContents.printToPDF({ printBackground: true, landscape: true });
  await writeFile(choice.filePath, pdf);
  return { saved: true, fileName: basename(choice.filePath) };
}

export async function saveTextFile(window: BrowserWindow, file: SaveFileRequest): Promise<ExportResult> {
  const choice = await dialog.showSaveDialog(window, { defaultPath: file.suggestedName, filters: [FILTERS[file.mimeType]] });
  if (choice.canceled || !choice.filePath) return { saved: false, fileName: null };
  await writeFile(choice.filePath, file.content, 'utf8');
  return { saved: true, fileName: basename(choice.filePath) };
}
