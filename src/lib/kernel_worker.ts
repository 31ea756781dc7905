/**
 * A Sandbox's worker thread: load the kernel (load_kernel.ts) and serve the
 * sandbox (worker.ts workerMain). The hooks module is imported from here,
 * an ES module, not from the kernel's script (worker.ts ImportModule).
 */
import { loadKernel } from './load_kernel.js';

void loadKernel().workerMain((url) => import(url));
