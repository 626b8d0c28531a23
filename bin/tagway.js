#!/usr/bin/env node
// Entry for `npx tagway`: let tsx load the TypeScript sources as they are, then run the CLI.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli.ts');
