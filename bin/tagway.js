#!/usr/bin/env node
// Entry for `npx tagway` and the Docker image: runs the JavaScript that `npm run build` (run by
// `npm pack`, see "prepack") compiled from src/ into dist/. In a clone, `npm run build` first, or
// `npm start` to run the TypeScript sources through tsx.
await import('../dist/cli.js');
