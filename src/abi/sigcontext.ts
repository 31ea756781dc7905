/** The x86-64 signal frame (arch/x86/include/asm/sigframe.h, uapi/asm/sigcontext.h, ucontext.h) and the XSAVE image's offsets it needs. */

/** struct rt_sigframe: pretcode, struct ucontext (304 bytes), struct siginfo (128) */
export const UC_OFF = 8, INFO_OFF = 8 + 304, FRAME_SIZE = 8 + 304 + 128;
export const MC_OFF = UC_OFF + 40; // uc_flags, uc_link, uc_stack(24), then uc_mcontext
export const SIGMASK_OFF = MC_OFF + 256;
export const UC_FP_XSTATE = 1, UC_SIGCONTEXT_SS = 2, UC_STRICT_RESTORE_SS = 4;
export const FP_XSTATE_MAGIC1 = 0x46505853, FP_XSTATE_MAGIC2 = 0x46505845;
/**
 * The XSAVE image's software-reserved bytes (the legacy area's last 48):
 * PTRACE_GETREGSET puts XCR0 (the features the CPU saves) at 464; a signal
 * frame holds struct _fpx_sw_bytes there instead (magic1 at 464,
 * extended_size 468, xfeatures 472, xstate_size 480). xstate_bv is at 512.
 */
export const SW_BYTES = 464, SW_EXTENDED_SIZE = 468, SW_XFEATURES = 472, SW_XSTATE_SIZE = 480, SW_BYTES_END = 512;
export const XSAVE_XSTATE_BV = 512;
/** the legacy (fxsave) area's MXCSR and MXCSR_MASK */
export const FX_MXCSR = 24, FX_MXCSR_MASK = 28;
/** EFLAGS bits a guest may set through sigreturn (FIX_EFLAGS) */
export const FIX_EFLAGS = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x40000 | 0x10000;
/** the 64-bit user code and stack segment selectors (__USER_CS, __USER_DS) */
export const USER_CS = 0x33, USER_SS = 0x2b;
