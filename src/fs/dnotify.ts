/**
 * Directory notification (fs/notify/dnotify, fcntl F_NOTIFY): a process
 * asks to be told, by a signal, when a directory it holds open changes.
 *
 * The VFS reports the namespace changes guests make through it (a name
 * created, deleted or renamed in a directory: DN_CREATE, DN_DELETE,
 * DN_RENAME); changes to the files in it (DN_MODIFY, DN_ATTRIB,
 * DN_ACCESS), and changes host programs make, are not reported. A
 * registration without DN_MULTISHOT goes after its first event, as on
 * Linux; one whose File is gone is dropped when next seen.
 *
 * Ownership: one table per kernel (the Vfs holds it), guarded by the JS
 * thread; nothing spans an await.
 */
import type { File } from './file.js';
import type { Stat } from './types.js';

export const DN_ACCESS = 1, DN_MODIFY = 2, DN_CREATE = 4, DN_DELETE = 8, DN_RENAME = 0x10, DN_ATTRIB = 0x20,
  DN_MULTISHOT = 0x80000000;

/** One F_NOTIFY registration: the open directory, its events, and who is told (the caller's signal). */
interface Watch {
  readonly file: File;
  readonly owner: object;
  mask: number;
  readonly notify: () => void;
}

export class DnotifyTable {
  /** "dev:ino" of a directory -> its registrations; guarded by the JS thread */
  private readonly watches = new Map<string, Watch[]>();

  /**
   * fcntl_dirnotify's registration: file is an open directory with
   * attributes st; owner identifies the registering process (one
   * registration per file and owner: a new one adds its events, as
   * attach_dn does). mask without events (DN_MULTISHOT alone) removes it.
   */
  set(st: Stat, file: File, owner: object, mask: number, notify: () => void): void {
    const key = `${st.dev}:${st.ino}`;
    const old = this.watches.get(key) ?? [];
    const mine = old.find((w) => w.file === file && w.owner === owner);
    const list = old.filter((w) => !w.file.released && w !== mine);
    if (mask & ~DN_MULTISHOT) list.push({ file, owner, mask: mask | (mine?.mask ?? 0), notify });
    if (list.length) this.watches.set(key, list);
    else this.watches.delete(key);
  }

  /** The directory with attributes st changed (DN_* events): tell whoever asked. */
  event(st: Stat, events: number): void {
    if (this.watches.size === 0) return;
    const key = `${st.dev}:${st.ino}`;
    const list = this.watches.get(key);
    if (!list) return;
    const keep: Watch[] = [];
    for (const w of list) {
      if (w.file.released) continue;
      if (w.mask & events) {
        w.notify();
        if (!(w.mask & DN_MULTISHOT)) continue;
      }
      keep.push(w);
    }
    if (keep.length) this.watches.set(key, keep);
    else this.watches.delete(key);
  }
}
