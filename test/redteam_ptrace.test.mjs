// The red team's tests (redteam.test.mjs) on the ptrace platform, which the
// default run (systrap where the host allows it) does not reach.
process.env.UMLTS_PLATFORM = 'ptrace';
await import('./redteam.test.mjs');
