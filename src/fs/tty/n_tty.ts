/**
 * The tty line discipline (drivers/tty/n_tty.c); struct termios is abi/termios.ts.
 *
 * umlts puts the host terminal in raw mode for input and runs the guest's
 * termios here: canonical line editing (ERASE, WERASE, KILL, EOF, EOL, EOL2,
 * LNEXT, REPRINT), echo (ECHO, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOCTL),
 * input mapping (ISTRIP, INLCR, IGNCR, ICRNL), flow-control characters
 * (IXON, IXANY), signal characters (ISIG: VINTR, VQUIT, VSUSP, flushing the
 * input unless NOFLSH) and non-canonical reads with VMIN/VTIME. Output
 * processing (OPOST, ONLCR...): on the console it is left to the host
 * terminal, whose c_oflag mirrors the guest's (tty/console.ts), so guest
 * writes and echoes are both processed there, as n_tty's do_output_char
 * does for both; a pty (tty/pty.ts) has no such hardware and runs both
 * through processOutput here.
 *
 * The LineDiscipline is pure: bytes in (receive), bytes out to a reader
 * (read), and two callbacks (echo output, signals for the foreground
 * process group). It never touches the host, which is what lets the tests
 * drive it byte by byte.
 *
 * Not implemented: PARMRK, IUCLC/XCASE/OLCUC, ECHOPRT, VDISCARD, IMAXBEL,
 * break and parity handling (a pseudo-terminal has none).
 *
 * Ownership: a LineDiscipline belongs to one TtyStruct (tty.ts: the
 * console's Terminal or one side of a pty) and is touched only on the JS
 * thread, by syscall handlers and host callbacks.
 */
import { Errno } from '../../abi/errno.js';
import { SIGINT, SIGQUIT, SIGTSTP } from '../../abi/signal.js';
export { SIGHUP, SIGINT, SIGQUIT, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH } from '../../abi/signal.js';
export * from '../../abi/termios.js';
import { ECHO, ECHOCTL, ECHOE, ECHOK, ECHOKE, ECHONL, ICANON, ICRNL, IEXTEN, IGNCR, INLCR, ISIG, ISTRIP, IUTF8, IXANY, IXON, NOFLSH, OCRNL, OLCUC, ONLCR, ONLRET, ONOCR, OPOST, VEOF, VEOL, VEOL2, VERASE, VINTR, VKILL, VLNEXT, VMIN, VQUIT, VREPRINT, VSTART, VSTOP, VSUSP, VTIME, VWERASE, Termios } from '../../abi/termios.js';

/** Input buffer size (N_TTY_BUF_SIZE); one byte is kept free, as n_tty does. */
export const N_TTY_BUF_SIZE = 4096;

/** What a LineDiscipline asks of its terminal. */
export interface LdiscPort {
  /** bytes to show on the terminal (echo), in order */
  echo(bytes: Uint8Array): void;
  /** a signal character arrived: send sig to the foreground process group */
  signal(sig: number): void;
  /** output was stopped (VSTOP) or started again (VSTART) */
  flow?(stopped: boolean): void;
  /** echo() passes the bytes through processOutput (a pty), which tracks the column; else noteOutput does */
  readonly processesOutput?: boolean;
}

const isCntrl = (c: number): boolean => c < 0x20 || c === 0x7f;
/** c_oflag's tab delay field, and its value that expands tabs to spaces (XTABS = TAB3) */
const TABDLY = 0o14000, XTABS = 0o14000;
const NL = 10, CR = 13, BS = 8, SP = 32, TAB = 9;
/** a c_cc value of 0 disables the character (_POSIX_VDISABLE) */
const enabled = (cc: number): boolean => cc !== 0;

/** n_tty's state for one terminal. Every field is owned by that Terminal and
 * guarded by the JS thread (syscall handlers, host input and timer callbacks). */
export class LineDiscipline {
  /** the guest-visible termios; replace only through setTermios */
  termios: Termios;
  /** received bytes not yet read, oldest first: committed data, then (canonical mode) the line being edited */
  private q: number[] = [];
  /** canonical mode: q.length at the end of each complete line (EOF marks a line with no terminator) */
  private lineEnds: number[] = [];
  /** bytes of q that are committed (readable); the rest is the line being edited */
  private canonHead = 0;
  /** the next character is literal (VLNEXT) */
  private lnext = false;
  /** output stopped by VSTOP (IXON); written here and by the Terminal (TCXONC) */
  stopped = false;
  /** the host side is gone: reads see EOF once the buffer is empty; set once, by the Terminal's hangup */
  hungUp = false;
  /** the cursor column, as far as the echoes and writes we saw tell (n_tty's ldata->column) */
  column = 0;
  /** the column at which the current canonical line started (ldata->canon_column) */
  private canonColumn = 0;
  /** when the last byte was received (CLOCK_MONOTONIC ns), for VTIME's inter-byte timer */
  private lastRx = 0n;
  /** echo output collected during one receive() */
  private echoes: number[] = [];

  /** port: immutable */
  constructor(termios: Termios, private readonly port: LdiscPort) {
    this.termios = termios;
  }

  private get icanon(): boolean {
    return (this.termios.lflag & ICANON) !== 0;
  }

  // ---- input ------------------------------------------------------------------------------

  /**
   * How many bytes receive() can take now. In canonical mode with no
   * complete line and a full buffer it still takes input (ordinary
   * characters are dropped, but newline, erase and the signal characters
   * work), as n_tty does, so that a full line can always be finished.
   */
  room(): number {
    const free = N_TTY_BUF_SIZE - 1 - this.q.length;
    if (free > 0) return free;
    return this.icanon && this.lineEnds.length === 0 ? 64 : 0;
  }

  /** Bytes from the terminal (n_tty_receive_buf). now: CLOCK_MONOTONIC ns. */
  receive(data: Uint8Array, now = 0n): void {
    for (const b of data) this.receiveChar(b);
    this.lastRx = now;
    this.flushEchoes();
  }

  private receiveChar(c0: number): void {
    const t = this.termios, cc = t.cc, lf = t.lflag, inf = t.iflag;
    let c = c0;
    if (inf & ISTRIP) c &= 0x7f;
    if (this.lnext) {
      // a literal character: no special meaning, no mapping
      this.lnext = false;
      this.echoInput(c);
      this.put(c);
      return;
    }
    if (inf & IXON) {
      if (enabled(cc[VSTART]!) && c === cc[VSTART]) return this.setStopped(false);
      if (enabled(cc[VSTOP]!) && c === cc[VSTOP]) return this.setStopped(true);
    }
    if (lf & ISIG) {
      const sig = c === cc[VINTR] ? SIGINT : c === cc[VQUIT] ? SIGQUIT : c === cc[VSUSP] ? SIGTSTP : 0;
      if (sig && enabled(c)) {
        if (!(lf & NOFLSH)) {
          // isig's flush also clears the echo buffer: echoes of this input not yet shown are dropped
          this.flushInput();
          this.echoes = [];
        }
        if (inf & IXON) this.setStopped(false);
        if (lf & ECHO) this.echoChar(c);
        this.flushEchoes();
        this.port.signal(sig);
        return;
      }
    }
    if (this.stopped && inf & IXON && inf & IXANY) this.setStopped(false);
    if (c === CR) {
      if (inf & IGNCR) return;
      if (inf & ICRNL) c = NL;
    } else if (c === NL && inf & INLCR) {
      c = CR;
    }
    if (this.icanon) {
      const iext = (lf & IEXTEN) !== 0;
      if (enabled(c) && (c === cc[VERASE] || c === cc[VKILL] || (iext && c === cc[VWERASE]))) {
        this.erase(c === cc[VERASE] ? 'erase' : c === cc[VKILL] ? 'kill' : 'werase');
        return;
      }
      if (iext && enabled(c) && c === cc[VLNEXT]) {
        this.lnext = true;
        if (lf & ECHO && lf & ECHOCTL) this.echoes.push(0x5e, BS); // "^\b"
        return;
      }
      if (iext && enabled(c) && c === cc[VREPRINT] && lf & ECHO) {
        this.echoChar(c);
        this.echoes.push(NL);
        this.canonColumn = 0;
        for (let i = this.canonHead; i < this.q.length; i++) this.echoChar(this.q[i]!);
        return;
      }
      if (c === NL) {
        if (lf & (ECHO | ECHONL)) this.echoes.push(NL);
        return this.endLine(c);
      }
      if (enabled(c) && c === cc[VEOF]) return this.endLine(-1);
      if (enabled(c) && (c === cc[VEOL] || (iext && c === cc[VEOL2]))) {
        if (lf & ECHO) this.echoInput(c);
        return this.endLine(c);
      }
    }
    this.echoInput(c);
    this.put(c);
  }

  /** Echo an input character (the common tail of n_tty_receive_char_special). */
  private echoInput(c: number): void {
    if (!(this.termios.lflag & ECHO)) return;
    if (c === NL) this.echoes.push(NL);
    else {
      if (this.canonHead === this.q.length) this.canonColumn = this.column + this.pendingColumns();
      this.echoChar(c);
    }
  }

  /** echo_char: control characters as ^X with ECHOCTL (not tab). */
  private echoChar(c: number): void {
    if (this.termios.lflag & ECHOCTL && isCntrl(c) && c !== TAB) this.echoes.push(0x5e, c ^ 0o100);
    else this.echoes.push(c);
  }

  /** Store a character; in canonical mode on the edited line, else readable at once. */
  private put(c: number): void {
    if (this.q.length >= N_TTY_BUF_SIZE - 1) return; // full: dropped
    this.q.push(c);
    if (!this.icanon) this.canonHead = this.q.length;
  }

  /** A line terminator (c, stored) or EOF (-1, not stored) ends the edited line. */
  private endLine(c: number): void {
    if (c >= 0) this.q.push(c); // a terminator is stored even when the buffer is full
    this.canonHead = this.q.length;
    this.lineEnds.push(this.q.length);
  }

  /** ERASE, WERASE or KILL on the edited line (n_tty's eraser). */
  private erase(kind: 'erase' | 'werase' | 'kill'): void {
    const t = this.termios, lf = t.lflag;
    if (this.q.length === this.canonHead) return; // nothing on the line
    const utf8 = (t.iflag & IUTF8) !== 0;
    const cont = (c: number): boolean => utf8 && (c & 0xc0) === 0x80;
    if (kind === 'kill') {
      if (!(lf & ECHO)) {
        this.q.length = this.canonHead;
        return;
      }
      if (!(lf & ECHOK) || !(lf & ECHOKE) || !(lf & ECHOE)) {
        this.q.length = this.canonHead;
        this.echoChar(t.cc[VKILL]!);
        if (lf & ECHOK) this.echoes.push(NL);
        return;
      }
    }
    let seenAlnum = false;
    while (this.q.length > this.canonHead) {
      // one (possibly multi-byte) character
      let head = this.q.length;
      let c: number;
      do {
        c = this.q[--head]!;
      } while (cont(c) && head > this.canonHead);
      if (kind === 'werase') {
        const word = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80;
        if (word) seenAlnum = true;
        else if (seenAlnum) break;
      }
      this.q.length = head;
      if (lf & ECHO) {
        if (kind === 'erase' && !(lf & ECHOE)) {
          this.echoChar(t.cc[VERASE]!);
        } else if (c === TAB) {
          this.eraseTab();
        } else {
          if (isCntrl(c) && lf & ECHOCTL) this.echoes.push(BS, SP, BS);
          if (!isCntrl(c) || lf & ECHOCTL) this.echoes.push(BS, SP, BS);
        }
      }
      if (kind === 'erase') break;
    }
  }

  /** Back over a tab: how far depends on what precedes it on the line (echo_erase_tab). */
  private eraseTab(): void {
    const utf8 = (this.termios.iflag & IUTF8) !== 0;
    let cols = 0, afterTab = false;
    for (let i = this.q.length - 1; i >= this.canonHead; i--) {
      const c = this.q[i]!;
      if (c === TAB) {
        afterTab = true;
        break;
      }
      if (isCntrl(c)) {
        if (this.termios.lflag & ECHOCTL) cols += 2;
      } else if (!(utf8 && (c & 0xc0) === 0x80)) {
        cols++;
      }
    }
    if (!afterTab) cols += this.canonColumn;
    for (let n = 8 - (cols & 7); n > 0; n--) this.echoes.push(BS);
  }

  private setStopped(s: boolean): void {
    if (this.stopped === s) return;
    this.stopped = s;
    this.port.flow?.(s);
  }

  /** Columns the echoes not yet flushed will move the cursor (for canonColumn). */
  private pendingColumns(): number {
    const save = this.column;
    this.noteOutput(Uint8Array.from(this.echoes));
    const d = this.column - save;
    this.column = save;
    return d;
  }

  private flushEchoes(): void {
    if (this.echoes.length === 0) return;
    const b = Uint8Array.from(this.echoes);
    this.echoes = [];
    if (!this.port.processesOutput) this.noteOutput(b);
    this.port.echo(b);
  }

  /**
   * Track the cursor column through bytes written to the terminal (echoes
   * and guest writes), as OPOST processing would leave it.
   */
  noteOutput(b: Uint8Array): void {
    const of = this.termios.oflag, post = (of & OPOST) !== 0;
    let col = this.column;
    for (const c of b) {
      if (c === NL) {
        if (post && of & (ONLCR | ONLRET)) col = 0;
      } else if (c === CR) col = 0;
      else if (c === BS) {
        if (col > 0) col--;
      } else if (c === TAB) col = (col | 7) + 1;
      else if (!isCntrl(c) && (c & 0xc0) !== 0x80) col++;
    }
    this.column = col;
  }

  /**
   * Output processing for a terminal whose driver has no host terminal
   * doing it (a pty): n_tty's process_output / do_output_char with OPOST —
   * ONLCR, OCRNL, ONOCR, ONLRET, OLCUC and XTABS — tracking the column.
   * Takes input bytes while their output fits in room; returns the output
   * and how many input bytes it covers (a character whose expansion would
   * not fit waits for the next call, as do_output_char's -1 makes it).
   */
  processOutput(buf: Uint8Array, room: number): { out: Uint8Array; used: number } {
    const of = this.termios.oflag;
    if (!(of & OPOST)) {
      const n = Math.min(buf.length, room);
      this.noteOutput(buf.subarray(0, n));
      return { out: buf.subarray(0, n), used: n };
    }
    const out: number[] = [];
    let used = 0;
    for (; used < buf.length; used++) {
      let c = buf[used]!;
      const space = room - out.length;
      if (space <= 0) break;
      if (c === NL) {
        if (of & ONLRET) this.column = 0;
        if (of & ONLCR) {
          if (space < 2) break;
          this.column = 0;
          out.push(CR, NL);
          continue;
        }
        out.push(NL);
      } else if (c === CR) {
        if (of & ONOCR && this.column === 0) continue;
        if (of & OCRNL) {
          if (of & ONLRET) this.column = 0;
          out.push(NL);
          continue;
        }
        this.column = 0;
        out.push(CR);
      } else if (c === TAB) {
        const spaces = 8 - (this.column & 7);
        if ((of & TABDLY) === XTABS) {
          if (space < spaces) break;
          this.column += spaces;
          for (let i = 0; i < spaces; i++) out.push(SP);
          continue;
        }
        this.column += spaces;
        out.push(TAB);
      } else if (c === BS) {
        if (this.column > 0) this.column--;
        out.push(BS);
      } else {
        if (!isCntrl(c)) {
          if (of & OLCUC && c >= 0x61 && c <= 0x7a) c -= 0x20;
          if ((c & 0xc0) !== 0x80 || !(this.termios.iflag & IUTF8)) this.column++;
        }
        out.push(c);
      }
    }
    return { out: Uint8Array.from(out), used };
  }

  // ---- reading -----------------------------------------------------------------------------

  /**
   * read(2) on the terminal. Returns the count, 0 at end of file (EOF at
   * the start of a line, or after a hangup), or -EAGAIN when the caller
   * must wait; then `wakeAt` (monotonic ns, 0n: none) is when to try again
   * even if no input comes (VTIME). start: when this read began (ns).
   */
  read(buf: Uint8Array, now: bigint, start: bigint): number {
    this.wakeAt = 0n;
    if (buf.length === 0) return 0;
    if (this.icanon) {
      if (this.lineEnds.length === 0) return this.hungUp ? 0 : -Errno.EAGAIN;
      const end = this.lineEnds[0]!;
      const n = Math.min(buf.length, end);
      for (let i = 0; i < n; i++) buf[i] = this.q[i]!;
      this.consume(n);
      if (n === end) this.lineEnds.shift();
      return n;
    }
    const avail = this.q.length;
    const vmin = this.termios.cc[VMIN]!, vtime = BigInt(this.termios.cc[VTIME]!) * 100_000_000n;
    let ready: boolean;
    if (avail === 0 && this.hungUp) ready = true;
    else if (vmin === 0) {
      if (vtime === 0n || avail > 0) ready = true;
      else {
        ready = now >= start + vtime;
        if (!ready) this.wakeAt = start + vtime;
      }
    } else if (avail >= Math.min(vmin, buf.length)) ready = true;
    else if (vtime > 0n && avail > 0) {
      // the inter-byte timer runs from the last byte (or the start of the read)
      const since = this.lastRx > start ? this.lastRx : start;
      ready = now >= since + vtime;
      if (!ready) this.wakeAt = since + vtime;
    } else ready = false;
    if (!ready) return -Errno.EAGAIN;
    const n = Math.min(buf.length, avail);
    for (let i = 0; i < n; i++) buf[i] = this.q[i]!;
    this.consume(n);
    return n;
  }
  /** after a read answered -EAGAIN: when to retry without input (0n: only on input) */
  wakeAt = 0n;

  private consume(n: number): void {
    if (n === 0) return;
    this.q.splice(0, n);
    this.canonHead = Math.max(0, this.canonHead - n);
    for (let i = 0; i < this.lineEnds.length; i++) this.lineEnds[i]! -= n;
  }

  /** POLLIN (n_tty's input_available_p with poll = 1). */
  readable(): boolean {
    if (this.hungUp) return true;
    if (this.icanon) return this.lineEnds.length > 0;
    const vmin = this.termios.cc[VMIN]!, vtime = this.termios.cc[VTIME]!;
    return this.q.length >= (vtime === 0 && vmin > 0 ? vmin : 1);
  }

  /** FIONREAD: the committed bytes (complete lines in canonical mode). */
  inq(): number {
    if (!this.icanon) return this.q.length;
    return this.lineEnds.length > 0 ? this.lineEnds[this.lineEnds.length - 1]! : 0;
  }

  /** TCIFLUSH, a signal character without NOFLSH, TCSETSF. */
  flushInput(): void {
    this.q = [];
    this.lineEnds = [];
    this.canonHead = 0;
    this.lnext = false;
  }

  /**
   * New termios (TCSETS*). Switching ICANON off makes the edited line
   * readable; switching it on makes what is buffered one line (n_tty_set_termios).
   */
  setTermios(t: Termios): void {
    const was = this.icanon;
    this.termios = t;
    if (was !== this.icanon) {
      this.lnext = false;
      this.canonHead = this.q.length;
      this.lineEnds = this.icanon && this.q.length > 0 ? [this.q.length] : [];
    }
    if (!(t.iflag & IXON)) this.setStopped(false);
  }
}
