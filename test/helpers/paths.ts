/** Where the built artefacts the tests drive live (`npm test` builds first). */
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../dist/bin/main.js', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../../dist/test/fixtures/', import.meta.url));
