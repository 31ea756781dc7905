/**
 * inotify's ABI (include/uapi/linux/inotify.h, fs/notify/inotify): the
 * event bits, the watch flags, inotify_init1's flags and struct
 * inotify_event; the defaults of /proc/sys/fs/inotify.
 */

// ---- events (the bits of a watch's mask and of struct inotify_event's mask) ----
export const IN_ACCESS = 0x1, IN_MODIFY = 0x2, IN_ATTRIB = 0x4, IN_CLOSE_WRITE = 0x8, IN_CLOSE_NOWRITE = 0x10,
  IN_OPEN = 0x20, IN_MOVED_FROM = 0x40, IN_MOVED_TO = 0x80, IN_CREATE = 0x100, IN_DELETE = 0x200,
  IN_DELETE_SELF = 0x400, IN_MOVE_SELF = 0x800;
export const IN_ALL_EVENTS = 0xfff;
/** only ever in an event: the filesystem went away, events were lost, the watch is gone, the subject is a directory */
export const IN_UNMOUNT = 0x2000, IN_Q_OVERFLOW = 0x4000, IN_IGNORED = 0x8000, IN_ISDIR = 0x40000000;

// ---- inotify_add_watch flags ----
export const IN_ONLYDIR = 0x01000000, IN_DONT_FOLLOW = 0x02000000, IN_EXCL_UNLINK = 0x04000000,
  IN_MASK_CREATE = 0x10000000, IN_MASK_ADD = 0x20000000, IN_ONESHOT = 0x80000000;
/** every bit inotify_add_watch accepts (ALL_INOTIFY_BITS): any other is EINVAL, and so is none of them */
export const ALL_INOTIFY_BITS = (IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ONLYDIR | IN_DONT_FOLLOW |
  IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD | IN_ISDIR | IN_ONESHOT) >>> 0;

// ---- inotify_init1 flags (O_NONBLOCK, O_CLOEXEC) ----
export const IN_NONBLOCK = 0o4000, IN_CLOEXEC = 0o2000000;

/** struct inotify_event {s32 wd; u32 mask; u32 cookie; u32 len; char name[len]}: the fixed part; name is
 * NUL-padded to a multiple of it (with at least one NUL: roundup(name_len + 1, 16)) */
export const INOTIFY_EVENT_SIZE = 16;
/** the largest event: a name of NAME_MAX (255) bytes, its NUL, padded (roundup(256, 16)). A read leaves an event
 * queued only if it did not fit in what was left of the buffer (inotify_read stops there, or when none is left) */
export const INOTIFY_EVENT_MAX = INOTIFY_EVENT_SIZE + 256;

/** /proc/sys/fs/inotify defaults: max_queued_events, max_user_instances */
export const INOTIFY_MAX_QUEUED_EVENTS = 16384, INOTIFY_MAX_USER_INSTANCES = 128;

/**
 * Each struct inotify_event {s32 wd; u32 mask; u32 cookie; u32 len; char name[len]} in buf[0..n), in order:
 * name is a view of its bytes without the NUL padding (empty for none). fn returns false to stop.
 */
export function eachInotifyEvent(buf: Uint8Array, n: number, fn: (wd: number, mask: number, cookie: number, name: Uint8Array) => boolean | void): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let off = 0; off + INOTIFY_EVENT_SIZE <= n;) {
    const len = dv.getUint32(off + 12, true), at = off + INOTIFY_EVENT_SIZE;
    let end = at;
    while (end < at + len && buf[end] !== 0) end++;
    if (fn(dv.getInt32(off, true), dv.getUint32(off + 4, true), dv.getUint32(off + 8, true), buf.subarray(at, end)) === false) return;
    off = at + len;
  }
}
