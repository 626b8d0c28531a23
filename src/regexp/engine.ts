/**
 * Turns on V8's linear-time regexp engine for this process. Go's RE2 matches in time linear in the input;
 * V8's default engine backtracks, and a pattern like `^/p/(a+)+$` takes seconds on a 30-byte path.
 * V8 also ships a non-backtracking engine (an NFA simulation, linear in the input) for the subset of
 * JavaScript regexps without backreferences, lookarounds, `u`/`i` flags or large counted repetitions,
 * which is what the translator emits. Two flags:
 * - `--enable-experimental-regexp-engine` makes the `l` flag available: `new RegExp(src, 'l')` compiles
 *   for the linear engine, or throws when the pattern is outside its subset. The translator uses it to
 *   prove every pattern it accepts has a linear form.
 * - `--enable-experimental-regexp-engine-on-excessive-backtracks`: a regexp compiled afterwards that the
 *   linear engine can run is matched by the fast backtracking engine first and re-run by the linear one
 *   once one match has backtracked more than `--regexp-backtracks-before-fallback` times. The limit is
 *   stored in each regexp when it is compiled, so the flags must be set before our patterns are compiled:
 *   this module does it when it is first imported, before anything else in `src/regexp/` runs, in the CLI,
 *   in every cluster worker and in tests alike.
 */
import { setFlagsFromString } from 'node:v8';

/** Backtracks one match may take before it is re-run by the linear engine (V8's default: 50,000). */
export const BACKTRACKS_BEFORE_FALLBACK = 10_000;

setFlagsFromString('--enable-experimental-regexp-engine');
setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
setFlagsFromString(`--regexp-backtracks-before-fallback=${BACKTRACKS_BEFORE_FALLBACK}`);

function probe(): boolean {
  try {
    return new RegExp('a', 'l').flags.includes('l');
  } catch {
    return false;
  }
}

/** Whether this V8 accepted the flags (Node ≥ 20 does). Without it no pattern is accepted. */
export const LINEAR_ENGINE = probe();
