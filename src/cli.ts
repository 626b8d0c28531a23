// Subcommands and the gateway are imported on demand: `tagway explain` should not load the whole proxy.

/**
 * `tagway [--configFile=FILE] [--flags…]` runs the gateway; `tagway demo`, `tagway check`,
 * `tagway explain` are subcommands. Exit status 1 on a bad configuration, with one line per problem.
 */
async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === 'demo') return (await import('./dev/demo/index.ts')).runDemo(rest);
  if (first === 'check') return (await import('./check/cli.ts')).runCheck(rest);
  if (first === 'explain') return (await import('./check/explain-cli.ts')).runExplain(rest);
  if (argv.includes('--version')) { process.stdout.write('tagway 0.1.0\n'); return 0; }
  // --help loads the schema and its description only, not the file and environment readers
  if (argv.includes('--help') || argv.includes('-h')) { process.stdout.write((await import('./static/help.ts')).helpText() + '\n'); return 0; }
  const { loadStaticConfig, StaticConfigError } = await import('./static/index.ts');

  let config;
  const warnings: string[] = [];
  try {
    config = loadStaticConfig({ argv, env: process.env, cwd: process.cwd(), onWarning: (m) => warnings.push(m) });
  } catch (err) {
    if (err instanceof StaticConfigError) { process.stderr.write(`tagway: invalid configuration\n${err.message}\n`); return 1; }
    throw err;
  }
  const { createLogger } = await import('./util/log.ts');
  const log = createLogger({ level: config.log.level, format: config.log.format });
  // On stderr whatever the log level (ERROR by default, as Traefik's, would hide them); workers load the
  // configuration again, so the primary alone reports them.
  if ((await import('node:cluster')).default.isPrimary) for (const w of warnings) process.stderr.write(`tagway: warning: ${w}\n`);
  if (config.workers > 1 && Object.values(config.certificatesResolvers ?? {}).some((r) => r.acme)) {
    // The challenge answers and the orders live in one process (the board is not shared over IPC).
    if ((await import('node:cluster')).default.isPrimary) process.stderr.write(`tagway: warning: certificatesResolvers: ACME resolvers run in one process; workers ${config.workers} → 1\n`);
    config = { ...config, workers: 1 };
  }
  let gateway: { close(): Promise<void> };
  try {
    gateway = config.workers > 1
      ? await (await import('./server/cluster.ts')).runClustered(config, log)
      : await (await import('./server/gateway.ts')).startGateway({ config, logger: log });
  } catch (err) {
    log.error(err instanceof Error ? err.message : String(err));
    return 1;
  }
  return await untilSignal(gateway, log);
}

/** Runs until SIGTERM/SIGINT, then drains and flushes; a second signal forces the exit. */
function untilSignal(gateway: { close(): Promise<void> }, log: { info(m: string): void }): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) { resolve(130); return; }
      stopping = true;
      log.info(`received ${signal}: draining in-flight requests and flushing spans`);
      gateway.close().then(() => resolve(0), () => resolve(1));
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

main(process.argv.slice(2)).then((code) => { process.exit(code); }, (err: unknown) => {
  process.stderr.write(`tagway: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
