// The red team's tests (redteam.test.mjs) on the systrap platform.
process.env.UMLTS_PLATFORM = 'systrap';
await import('./redteam.test.mjs');
