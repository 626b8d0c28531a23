import { spawnChild, type Spawned } from './children.ts';
import { compiledHelper } from './compiled.ts';

/**
 * How much slower than its fastest a probe may read before the host counts as slow: fast readings of the probe spread
 * by up to ~10% on the bench host; its slow mode reads ~1.5× (bench/README.md, "The host's slow mode").
 */
export const SLOW_HOST = 1.2;

/** How many times a measurement the host was slow around is made again. */
export const MAX_REMEASURE = 2;

/**
 * The speed of the host on the system under test's core, read between measurements. Why: the bench host has a slow
 * mode (every process on the core runs ~1.5× slower for tens of seconds at a time, the hypervisor's steal not being
 * accounted), and a slice measured in it compares the host's modes, not the targets. The probe is a fixed piece of
 * work (probe-child.ts) timed on the same core just before and just after a slice; a slice whose bracket reads more
 * than SLOW_HOST times the fastest reading of the run is measured again. The decision comes from the probe, never
 * from the slice's own figures, so it cannot favour one target.
 *
 * @example
 * const probe = await HostProbe.start('0');
 * const ms = await probe.read(); // the fixed work's time now, ms
 * probe.slowness(ms)             // ms ÷ the fastest reading so far (1 = the host's best)
 */
export class HostProbe {
  readonly #child: Spawned;
  readonly #waiting: Array<(ms: number) => void> = [];
  #fastest = Infinity;
  readonly readings: number[] = [];

  private constructor(child: Spawned) {
    this.#child = child;
    let pending = '';
    child.child.stdout!.on('data', (chunk: string) => {
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const ms = Number(line);
        if (Number.isFinite(ms)) this.#waiting.shift()?.(ms);
      }
    });
  }

  /** Starts the probe pinned to `cpus`, then reads it five times (the run's first idea of the host's best). */
  static async start(cpus: string): Promise<HostProbe> {
    const child = await spawnChild('host-probe', process.execPath, [compiledHelper('bench/lib/probe-child.ts')], { cpus, stdin: true, readyLine: /^READY$/ });
    const probe = new HostProbe(child);
    for (let i = 0; i < 5; i++) await probe.read();
    return probe;
  }

  /** One reading: the probe's work now, ms (the fastest of three runs). */
  read(): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('host probe: no reading within 10 s')), 10_000);
      this.#waiting.push((ms) => {
        clearTimeout(timer);
        this.readings.push(ms);
        this.#fastest = Math.min(this.#fastest, ms);
        resolve(ms);
      });
      this.#child.child.stdin!.write('\n');
    });
  }

  /** The fastest reading so far, ms. */
  get fastest(): number { return this.#fastest; }

  /** `ms` against the fastest reading so far (1: the host at its best; SLOW_HOST and above: slow). */
  slowness(ms: number): number { return ms / this.#fastest; }

  /** Whether a bracket reading of `ms` was slow against the fastest reading so far (at the end: of the whole run). */
  slow(ms: number): boolean { return this.slowness(ms) > SLOW_HOST; }

  /**
   * Runs `measure` between two readings and makes it again, MAX_REMEASURE times at most, while the slower of them is
   * slow (`again` is told each time); a value `final` accepts (a failure) is never made again. Returns the last value
   * with its bracket's slower reading.
   */
  async around<T>(measure: () => Promise<T>, again: (slowness: number, value: T) => void, final: (value: T) => boolean = () => false): Promise<{ value: T; probeMs: number }> {
    for (let tries = 0; ; tries++) {
      const before = await this.read();
      const value = await measure();
      const probeMs = Math.max(before, await this.read());
      if (final(value) || !this.slow(probeMs) || tries === MAX_REMEASURE) return { value, probeMs };
      again(this.slowness(probeMs), value);
    }
  }

  /**
   * The samples of one target split by the bracket reading `probeMs` gives each, judged against the fastest reading
   * of the whole run: `left` the slow ones, `kept` the rest. When every sample is slow, all are kept (`left` empty,
   * `allSlow`): figures with the slow mode in them rather than none.
   */
  leaveOutSlow<T>(samples: readonly T[], probeMs: (sample: T) => number | undefined): { kept: T[]; left: T[]; allSlow: boolean } {
    const isSlow = (sample: T): boolean => { const ms = probeMs(sample); return ms !== undefined && this.slow(ms); };
    const left = samples.filter(isSlow);
    if (left.length > 0 && left.length === samples.length) return { kept: [...samples], left: [], allSlow: true };
    return { kept: samples.filter((sample) => !isSlow(sample)), left, allSlow: false };
  }

  stop(): Promise<void> {
    this.#child.child.stdin!.end();
    return this.#child.stop(1000);
  }
}
