/**
 * The kernel's message log (kernel/printk): what umlts says about the
 * guest (an unimplemented syscall, an out-of-memory kill...) goes to the
 * real stderr and is kept here too, so the guest's dmesg reads it through
 * syslog(2) as "<level>[seconds.micros] text" lines. A ring of the last
 * LOG_BUF_LEN bytes' worth of records, oldest dropped first.
 *
 * Ownership: one per kernel, touched only on the JS thread.
 */
import { WaitQueue } from '../fs/waitqueue.js';

/** log_buf_len: 128 KiB, CONFIG_LOG_BUF_SHIFT 17 */
export const LOG_BUF_LEN = 1 << 17;
/** printk levels (KERN_*) */
export const LOGLEVEL_WARNING = 4;

interface LogRecord {
  /** its sequence number (0 first; records keep theirs when older ones go) */
  readonly seq: number;
  /** its syslog(2) text, one line with its newline, latin1 (bytes) */
  readonly text: string;
}

export class KernelLog {
  /** the records kept, oldest first; guarded by the JS thread */
  private readonly records: LogRecord[] = [];
  /** their text's total length; guarded by the JS thread */
  private bytes = 0;
  private nextSeq = 0;
  /** the next record SYSLOG_ACTION_READ returns, and the first READ_ALL returns (CLEAR moves it);
   * guarded by the JS thread */
  syslogSeq = 0;
  clearSeq = 0;
  /** readers waiting for a record (SYSLOG_ACTION_READ); woken by each new one */
  readonly waitq = new WaitQueue();

  constructor(
    /** monotonic ns since the kernel started, for the timestamp; immutable */
    private readonly uptimeNs: () => number,
  ) {}

  append(level: number, line: string): void {
    const ns = this.uptimeNs();
    const sec = Math.floor(ns / 1e9), us = Math.floor((ns % 1e9) / 1e3);
    const text = `<${level}>[${String(sec).padStart(5)}.${String(us).padStart(6, '0')}] ${Buffer.from(line, 'utf8').toString('latin1')}\n`;
    this.records.push({ seq: this.nextSeq++, text });
    this.bytes += text.length;
    while (this.bytes > LOG_BUF_LEN && this.records.length > 1) this.bytes -= this.records.shift()!.text.length;
    this.waitq.wake(1);
  }

  /** The bytes of the records from seq on (SYSLOG_ACTION_SIZE_UNREAD). */
  bytesFrom(seq: number): number {
    let n = 0;
    for (const r of this.records) if (r.seq >= seq) n += r.text.length;
    return n;
  }

  /** Records from seq on, whole ones only, at most len bytes (syslog_print_all keeps the newest that fit). */
  newestFrom(seq: number, len: number): string {
    let text = '';
    for (let i = this.records.length - 1; i >= 0; i--) {
      const r = this.records[i]!;
      if (r.seq < seq || text.length + r.text.length > len) break;
      text = r.text + text;
    }
    return text;
  }

  /** Records from seq on, oldest first, whole ones only, at most len bytes (syslog_print); and where it stopped. */
  oldestFrom(seq: number, len: number): { text: string; next: number } {
    let text = '', next = seq;
    for (const r of this.records) {
      if (r.seq < seq) continue;
      if (text.length + r.text.length > len) break;
      text += r.text;
      next = r.seq + 1;
    }
    if (next < this.firstSeq()) next = this.firstSeq();
    return { text, next };
  }

  private firstSeq(): number {
    return this.records.length > 0 ? this.records[0]!.seq : this.nextSeq;
  }
  get endSeq(): number {
    return this.nextSeq;
  }
}
