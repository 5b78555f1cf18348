/**
 * Per-bucket aggregates (min, max, sum, count, last) built in memory: for the rollup rows a
 * compaction upserts, and for the not yet compacted values range() merges into its answer.
 */

/** What a value looks like in the database: REAL, TEXT, or INTEGER 0/1 for booleans. */
export type DbValue = number | string;

/** Accumulates one rollup bucket of one series during a compaction. Reused across chunks. */
export class BucketAcc {
  bucket = 0;
  min: number | null = null;
  max: number | null = null;
  sum: number | null = null;
  count = 0;
  last: DbValue = 0;
  lastTs = 0;
  /** Another bucket of the same series in the same chunk (a chunk crossing a boundary). */
  next: BucketAcc | null = null;
  /** On the head of a chain: its last bucket and the newest bucket start in it. */
  tail: BucketAcc = this;
  maxBucket = 0;

  reset(bucket: number, ts: number, v: DbValue, numeric: boolean): void {
    this.bucket = bucket;
    if (numeric) {
      this.min = v as number;
      this.max = v as number;
      this.sum = v as number;
    } else {
      this.min = this.max = this.sum = null;
    }
    this.count = 1;
    this.last = v;
    this.lastTs = ts;
    this.next = null;
    this.tail = this;
    this.maxBucket = bucket;
  }

  add(ts: number, v: DbValue, numeric: boolean): void {
    if (numeric) {
      const n = v as number;
      if (n < (this.min as number)) this.min = n;
      if (n > (this.max as number)) this.max = n;
      (this.sum as number) += n;
    }
    this.count++;
    if (ts > this.lastTs) {
      this.last = v;
      this.lastTs = ts;
    }
  }
}

/**
 * Adds a value to the bucket `bucket` of a series' chain, starting at `cur` (the bucket used
 * last: time-ordered data stays in it), then from `head`. Returns the bucket used.
 */
export function addToBuckets(head: BucketAcc, cur: BucketAcc, bucket: number, ts: number, v: DbValue, numeric: boolean): BucketAcc {
  if (cur.bucket === bucket) {
    cur.add(ts, v, numeric);
    return cur;
  }
  // Newer than every bucket of the chain (time-ordered data): append without walking it, or a
  // long backlog (a month of one series in one compaction) costs buckets² steps.
  if (bucket > head.maxBucket) {
    const n = new BucketAcc();
    n.reset(bucket, ts, v, numeric);
    head.tail.next = n;
    head.tail = n;
    head.maxBucket = bucket;
    return n;
  }
  let b: BucketAcc = head;
  for (;;) {
    if (b.bucket === bucket) {
      b.add(ts, v, numeric);
      return b;
    }
    if (b.next === null) break;
    b = b.next;
  }
  const n = new BucketAcc();
  n.reset(bucket, ts, v, numeric);
  b.next = n;
  head.tail = n;
  return n;
}
