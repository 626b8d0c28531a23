// The OTLP/HTTP receiver lives in src/devcollector so `tagway demo` can run it too.
export * from '../../src/dev/devcollector/index.ts';
