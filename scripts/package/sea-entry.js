// The single executable's main: bundled with src/ by scripts/package/build.mjs into build/sea/pcheck.cjs.
import { dispatch } from '../../src/cli/dispatch.ts';

void dispatch(process.argv);
