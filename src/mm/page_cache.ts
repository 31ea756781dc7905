/**
 * The page cache (mm/filemap.c): frames holding file pages, keyed by the
 * file's identity (VmFile.cacheKey: device, inode, mtime, size) and page
 * index, shared by every process that maps them. Private mappings share them
 * copy-on-write (the cache's own reference makes a shared frame look like
 * what fork leaves behind), so exec'ing the same binary again maps frames
 * instead of reading the file.
 *
 * Entries whose only reference is the cache's are evicted when physmem runs
 * out (evict()).
 *
 * Ownership: one per Physmem (kernel-wide), guarded by the JS thread.
 */
import type { Physmem } from './physmem.js';

export class PageCache {
  /** key -> page index -> frame (the cache holds a reference on each); guarded by the JS thread */
  private readonly files = new Map<string, Map<number, number>>();
  /** frames held (for /proc/meminfo's Cached); guarded by the JS thread */
  size = 0;
  /** counters for --stats; guarded by the JS thread */
  hits = 0;
  misses = 0;

  /** physmem: immutable */
  constructor(private readonly physmem: Physmem) {}

  /** The cached frame of page idx of the file, with a new reference taken for the caller; -1 if absent. */
  take(key: string, idx: number): number {
    const f = this.files.get(key)?.get(idx);
    if (f === undefined) {
      this.misses++;
      return -1;
    }
    this.hits++;
    this.physmem.get(f);
    return f;
  }
  /** The cached frame of page idx of the file (no reference taken), or -1. */
  frameOf(key: string, idx: number): number {
    return this.files.get(key)?.get(idx) ?? -1;
  }
  has(key: string, idx: number): boolean {
    return this.files.get(key)?.has(idx) ?? false;
  }
  /** Remember frame f (freshly filled, caller holds a reference) as page idx: the cache takes its own reference. */
  insert(key: string, idx: number, f: number): void {
    let m = this.files.get(key);
    if (!m) {
      m = new Map();
      this.files.set(key, m);
    }
    if (m.has(idx)) return;
    m.set(idx, f);
    this.physmem.get(f);
    this.size++;
  }
  /** The file was truncated or a range of it changed (truncate_inode_pages_range): its pages of index from
   * `from` to before `to` leave the cache (frames mapped still keep theirs until their mappings let go). */
  truncate(key: string, from: number, to = Infinity): void {
    const m = this.files.get(key);
    if (!m) return;
    for (const [idx, f] of m) {
      if (idx < from || idx >= to) continue;
      m.delete(idx);
      this.physmem.put(f);
      this.size--;
    }
    if (m.size === 0) this.files.delete(key);
  }
  /** Drop entries only the cache still uses, up to `want` frames (all if 0). Returns how many were freed. */
  evict(want = 0): number {
    let n = 0;
    for (const [key, m] of this.files) {
      for (const [idx, f] of m) {
        if (this.physmem.refs[f] !== 1) continue;
        m.delete(idx);
        this.physmem.put(f);
        this.size--;
        if (++n === want) break;
      }
      if (m.size === 0) this.files.delete(key);
      if (n === want && want > 0) break;
    }
    return n;
  }
}
