#!/usr/bin/env node
// The `factoryops` command. The TypeScript sources are compiled to dist/ by `npm ci`
// (the prepare script) or `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/server/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('factoryops: dist/ is missing. Run "npm run build" (npm ci does it too) and try again.\n');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2), process.env);
