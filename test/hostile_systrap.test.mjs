// The hostile-guest suite (hostile.test.mjs) on the ptrace platform, the
// fallback: the same attacks, the same checks (issue 14: the security tests
// exist for both platforms). hostile.test.mjs itself runs on the test run's
// platform: the default (systrap where the host allows it) unless
// UMLTS_PLATFORM says otherwise.
process.env.UMLTS_PLATFORM = 'ptrace';
await import('./hostile.test.mjs');
