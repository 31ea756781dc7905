/** waitpid/waitid options and id types (include/uapi/linux/wait.h). */
export const WNOHANG = 1, WUNTRACED = 2, WSTOPPED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x01000000;
export const P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;

/** Decoding a wait status (the host's, and the one wait4 gives a guest: the same encoding). */
export const WIFEXITED = (s: number): boolean => (s & 0x7f) === 0;
export const WEXITSTATUS = (s: number): number => (s >> 8) & 0xff;
export const WIFSIGNALED = (s: number): boolean => ((s & 0x7f) + 1) >> 1 > 0 && (s & 0x7f) !== 0x7f;
export const WTERMSIG = (s: number): number => s & 0x7f;
export const WIFSTOPPED = (s: number): boolean => (s & 0xff) === 0x7f;
export const WSTOPSIG = (s: number): number => (s >> 8) & 0xff;
