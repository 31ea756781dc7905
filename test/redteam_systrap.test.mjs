// The red team's tests (redteam.test.mjs) on the ptrace platform, the
// fallback; redteam.test.mjs itself runs on the test run's platform (the
// default: systrap where the host allows it).
process.env.UMLTS_PLATFORM = 'ptrace';
await import('./redteam.test.mjs');
