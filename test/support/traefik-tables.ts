import type { TestContext } from 'node:test';

/**
 * The count every ported Traefik table prints: cases ported, passing, and deliberately different (each with
 * its why). A case is "passing" when tagway gives Traefik's result, or, for a deliberate difference, Traefik's
 * routing result plus what the table says tagway does instead.
 *
 * @example
 * const tally = new Tally('pkg/muxer/http/matcher_test.go (v3.7.9)');
 * it(c.desc, () => tally.run(c.desc, c.differs, () => assert.ok(...)));
 * it('count', (t) => tally.report(t)); // last: the count as a diagnostic line
 */
export class Tally {
  readonly #name: string;
  #ported = 0;
  #passing = 0;
  readonly #different = new Map<string, string>();

  constructor(name: string) {
    this.#name = name;
  }

  /** Runs one ported case; `differs` is the reason tagway deliberately differs in this case (if it does). */
  run(desc: string, differs: string | undefined, check: () => void): void {
    this.#ported++;
    if (differs !== undefined) this.#different.set(desc, differs);
    check();
    this.#passing++;
  }

  async runAsync(desc: string, differs: string | undefined, check: () => Promise<void>): Promise<void> {
    this.#ported++;
    if (differs !== undefined) this.#different.set(desc, differs);
    await check();
    this.#passing++;
  }

  summary(): string {
    return `Traefik ${this.#name}: ported ${this.#ported} / passing ${this.#passing} / deliberately different ${this.#different.size}`;
  }

  /** Prints the count and every deliberate difference with its why (as a test diagnostic). */
  report(t: TestContext): void {
    t.diagnostic(this.summary());
    const byWhy = new Map<string, string[]>();
    for (const [desc, why] of this.#different) byWhy.set(why, [...(byWhy.get(why) ?? []), desc]);
    for (const [why, descs] of byWhy) t.diagnostic(`  ${descs.length} × ${why} (${descs.join('; ')})`);
  }
}

/** The Traefik version the tables were ported from. */
export const TRAEFIK_VERSION = 'v3.7.9';
