// The hostile-guest suite (hostile.test.mjs) on the ptrace platform, which
// the default run (systrap where the host allows it) does not reach: the
// same attacks, the same checks (issue 14: the security tests exist for
// both platforms).
process.env.UMLTS_PLATFORM = 'ptrace';
await import('./hostile.test.mjs');
