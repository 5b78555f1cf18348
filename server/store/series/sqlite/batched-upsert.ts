/**
 * A multi-row `INSERT … VALUES (…), (…) [ON CONFLICT …]` fed row by row. One statement per 64
 * rows instead of one per row: the per-statement cost (N-API call, bind, step, reset) was ~40%
 * of a single-row upsert. Statements are prepared once; the parameter buffer is reused.
 * With an upsert tail the caller must not put the same key twice in one flush (aggregate first).
 */
import type Database from 'better-sqlite3';

export type Stmt = Database.Statement<unknown[], unknown>;

/** Parameters bound to a statement: numbers, strings, NULL. */
export type DbParam = number | string | null;

/** Rows per multi-row statement, then smaller statements for the remainder. */
const UPSERT_SIZES = [64, 16, 4, 1] as const;

export class BatchedUpsert {
  private readonly stmts: Stmt[];
  readonly buf: DbParam[];
  private rows = 0;

  constructor(
    db: Database.Database,
    head: string,
    private readonly width: number,
    tail: string,
  ) {
    const tuple = `(${new Array<string>(width).fill('?').join(', ')})`;
    this.stmts = UPSERT_SIZES.map((n) => db.prepare(`${head} VALUES ${new Array<string>(n).fill(tuple).join(', ')} ${tail}`));
    this.buf = new Array<DbParam>((UPSERT_SIZES[0] as number) * width).fill(null);
  }

  /** Reserves the next row; returns its offset in `buf`, where the caller writes `width` params. */
  next(): number {
    if (this.rows === UPSERT_SIZES[0]) {
      (this.stmts[0] as Stmt).run(this.buf);
      this.rows = 0;
    }
    return this.rows++ * this.width;
  }

  /** Writes the rows still buffered. */
  flush(): void {
    let done = 0;
    for (let i = 0; i < UPSERT_SIZES.length; i++) {
      const size = UPSERT_SIZES[i] as number;
      while (this.rows - done >= size) {
        const stmt = this.stmts[i] as Stmt;
        stmt.run(size === UPSERT_SIZES[0] ? this.buf : this.buf.slice(done * this.width, (done + size) * this.width));
        done += size;
      }
    }
    this.rows = 0;
  }

  /** Drops buffered rows (after a failed batch). */
  reset(): void {
    this.rows = 0;
  }
}
