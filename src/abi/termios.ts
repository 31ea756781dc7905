/** struct termios and its flags (include/uapi/asm-generic/termbits.h, termios.h). */

/** asm-generic/ioctls.h: the bytes a read would find now (sockets, pipes, ttys, inotify) */
export const FIONREAD = 0x541b;
/** asm-generic/ioctls.h: the requests do_vfs_ioctl answers for any fd (O_NONBLOCK, close-on-exec, O_ASYNC) */
export const FIONBIO = 0x5421, FIONCLEX = 0x5450, FIOCLEX = 0x5451, FIOASYNC = 0x5452;

// ---- struct termios (include/uapi/asm-generic/termbits.h) -------------------------------

// c_iflag
export const IGNBRK = 0o1, BRKINT = 0o2, IGNPAR = 0o4, PARMRK = 0o10, INPCK = 0o20, ISTRIP = 0o40, INLCR = 0o100,
  IGNCR = 0o200, ICRNL = 0o400, IUCLC = 0o1000, IXON = 0o2000, IXANY = 0o4000, IXOFF = 0o10000, IMAXBEL = 0o20000,
  IUTF8 = 0o40000;
// c_oflag
export const OPOST = 0o1, OLCUC = 0o2, ONLCR = 0o4, OCRNL = 0o10, ONOCR = 0o20, ONLRET = 0o40;
// c_cflag
export const CSIZE = 0o60, CS8 = 0o60, CSTOPB = 0o100, CREAD = 0o200, PARENB = 0o400, HUPCL = 0o2000, CLOCAL = 0o4000,
  CBAUD = 0o10017, B38400 = 0o17;
// c_lflag
export const ISIG = 0o1, ICANON = 0o2, XCASE = 0o4, ECHO = 0o10, ECHOE = 0o20, ECHOK = 0o40, ECHONL = 0o100,
  NOFLSH = 0o200, TOSTOP = 0o400, ECHOCTL = 0o1000, ECHOPRT = 0o2000, ECHOKE = 0o4000, FLUSHO = 0o10000,
  PENDIN = 0o40000, IEXTEN = 0o100000, EXTPROC = 0o200000;
// c_cc indices
export const VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6, VSWTC = 7, VSTART = 8,
  VSTOP = 9, VSUSP = 10, VEOL = 11, VREPRINT = 12, VDISCARD = 13, VWERASE = 14, VLNEXT = 15, VEOL2 = 16;
export const NCCS = 19;
/** sizeof(struct termios) (the kernel's, not glibc's), and of struct termios2 */
export const TERMIOS_SIZE = 36, TERMIOS2_SIZE = 44;



/** struct termios / termios2 as the guest sees it. A value: owned by whoever
 * holds it (a LineDiscipline's is replaced whole, never written in place). */
export class Termios {
  iflag = ICRNL | IXON | IUTF8;
  oflag = OPOST | ONLCR;
  cflag = B38400 | CS8 | CREAD | HUPCL;
  lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
  line = 0;
  /** c_cc; the defaults of drivers/tty/tty_io.c tty_std_termios (INIT_C_CC) */
  readonly cc = Uint8Array.from([3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0]);
  ispeed = 38400;
  ospeed = 38400;

  clone(): Termios {
    const t = new Termios();
    t.iflag = this.iflag;
    t.oflag = this.oflag;
    t.cflag = this.cflag;
    t.lflag = this.lflag;
    t.line = this.line;
    t.cc.set(this.cc);
    t.ispeed = this.ispeed;
    t.ospeed = this.ospeed;
    return t;
  }

  /** The guest's struct termios (36 bytes) or termios2 (44). */
  encode(size = TERMIOS_SIZE): Uint8Array {
    const b = new Uint8Array(size);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, this.iflag >>> 0, true);
    dv.setUint32(4, this.oflag >>> 0, true);
    dv.setUint32(8, this.cflag >>> 0, true);
    dv.setUint32(12, this.lflag >>> 0, true);
    b[16] = this.line;
    b.set(this.cc, 17);
    if (size >= TERMIOS2_SIZE) {
      dv.setUint32(36, this.ispeed >>> 0, true);
      dv.setUint32(40, this.ospeed >>> 0, true);
    }
    return b;
  }

  /** From a struct termios (36 bytes) or termios2 (44). */
  static decode(b: Uint8Array): Termios {
    const t = new Termios();
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    t.iflag = dv.getUint32(0, true);
    t.oflag = dv.getUint32(4, true);
    t.cflag = dv.getUint32(8, true);
    t.lflag = dv.getUint32(12, true);
    t.line = b[16]!;
    t.cc.set(b.subarray(17, 17 + NCCS));
    if (b.length >= TERMIOS2_SIZE) {
      t.ispeed = dv.getUint32(36, true);
      t.ospeed = dv.getUint32(40, true);
    }
    return t;
  }
}

