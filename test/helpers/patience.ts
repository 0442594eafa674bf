/**
 * How many times its stated deadline a wait in a test gets. Deadlines in tests only guard against
 * hangs; on a loaded two-core machine (or beside a second `npm test`) real CLIs and servers take
 * several times as long as on an idle one. MAESTRO_TEST_PATIENCE overrides the factor.
 */
export const PATIENCE = Number(process.env.MAESTRO_TEST_PATIENCE) || 4;
