/**
 * A Sandbox's worker thread: load the kernel (load_kernel.ts), whose module
 * serves the sandbox when it finds itself in a worker (worker.ts main).
 */
import { loadKernel } from './load_kernel.js';

loadKernel();
