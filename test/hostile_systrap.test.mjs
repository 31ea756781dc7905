// The hostile-guest suite (hostile.test.mjs) on the systrap platform: the
// same attacks, the same checks (issue 14: the security tests exist for
// both platforms).
process.env.UMLTS_PLATFORM = 'systrap';
await import('./hostile.test.mjs');
