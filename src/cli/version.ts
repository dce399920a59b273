// The version both programs print: package.json's, read beside the code (dist/cli/ or src/cli/ -> ../../),
// or written into the single executable's bundle by scripts/package/build.mjs (it has no package.json).
import { readFileSync } from 'node:fs';

/** Set by esbuild's `define` in the single executable's bundle; undeclared in dist/. */
declare const PCHECK_BUNDLED_VERSION: string | undefined;

export function packageVersion(): string {
  if (typeof PCHECK_BUNDLED_VERSION === 'string') return PCHECK_BUNDLED_VERSION;
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
