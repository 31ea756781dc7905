/** personality(2)'s flags (uapi/linux/personality.h) that umlts acts on or reports. */

/** PROT_READ implies PROT_EXEC in mmap and mprotect */
export const READ_IMPLIES_EXEC = 0x0400000;
/** no address space randomization: umlts has none to turn off */
export const ADDR_NO_RANDOMIZE = 0x0040000;
/** personality(0xffffffff) asks without setting */
export const PER_QUERY = 0xffffffff;
