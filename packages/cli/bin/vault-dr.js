#!/usr/bin/env node
// Node 24 runs the TypeScript source directly (type stripping), so the CLI needs no build step.
const { runCli } = await import('../src/main.ts')
process.exitCode = await runCli(process.argv.slice(2), process.env)
