/**
 * Small integer slots [first, end): handed out lowest first, given back and
 * handed out again last in, first out. For sysmem's thread areas (systrap)
 * and physmem's stub batch frames. Only slots given back are listed: a
 * start used to push every slot of both (4 000 each, ~200 KB of young
 * objects, a tenth of what a short run allocates before its first guest
 * instruction, issue 14).
 * Ownership: its owner's, on the JS thread.
 */
export class SlotPool {
  /** slots given back, the last one given first; guarded by the JS thread */
  private readonly back: number[] = [];
  /** the lowest slot never handed out; guarded by the JS thread */
  private next: number;

  constructor(first: number, private readonly end: number) {
    this.next = first;
  }

  /** A free slot, or undefined if none is left. */
  take(): number | undefined {
    const s = this.back.pop();
    if (s !== undefined) return s;
    return this.next < this.end ? this.next++ : undefined;
  }

  /** Give a slot back (taken before, not given back since). */
  give(slot: number): void {
    this.back.push(slot);
  }

  /** how many slots take() can still hand out */
  get free(): number {
    return this.back.length + this.end - this.next;
  }
}
