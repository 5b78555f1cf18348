#!/usr/bin/env node
// The `factoryops` command. The TypeScript sources are compiled to dist/ by `npm ci`
// (the prepare script) or `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/server/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('factoryops: dist/ is missing. Run "npm run build" (npm ci does it too) and try again.\n');
  process.exit(1);
}
// V8 settings first, so all the server's code runs under them (see server/observe/v8-tuning.ts).
await import(new URL('../dist/server/observe/v8-tuning.js', import.meta.url).href);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2), process.env);
