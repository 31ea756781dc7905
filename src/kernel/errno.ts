/** Transitional: errno lives in abi/errno.ts (syscalls/ still import it from here). */
export * from '../abi/errno.js';
