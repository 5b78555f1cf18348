/** Saved window states (`<userData>/window-state.json`), keyed by role and display. */
import Type from 'typebox';
import Value from 'typebox/value';
import { readJsonFile, writeJsonFile } from './json-file.js';
import type { SavedWindowState } from './window-state.js';

const Finite = Type.Number({ minimum: -100_000, maximum: 100_000 });
const SavedSchema = Type.Object({
  bounds: Type.Object({ x: Finite, y: Finite, width: Type.Number({ minimum: 1, maximum: 100_000 }), height: Type.Number({ minimum: 1, maximum: 100_000 }) }),
  maximized: Type.Boolean(),
});
const FileSchema = Type.Record(Type.String({ maxLength: 80 }), SavedSchema);

export class WindowStateStore {
  private states: Record<string, SavedWindowState>;

  constructor(private readonly file: string) {
    const raw = readJsonFile(file);
    // A damaged state file only costs window positions: start fresh rather than refuse to open.
    this.states = raw !== undefined && Value.Check(FileSchema, raw) ? (raw as Record<string, SavedWindowState>) : {};
  }

  get(key: string): SavedWindowState | undefined {
    return this.states[key];
  }

  set(key: string, state: SavedWindowState): void {
    this.states[key] = state;
    writeJsonFile(this.file, this.states);
  }
}
