#!/usr/bin/env node
// Node 24 runs the TypeScript source directly (type stripping), so the CLI needs no build step. The workspace
// packages it imports resolve to their source too (the @vault-dr/source export condition the services run with), so
// a fresh clone works right after `npm ci`, with or without their dist/.
const major = Number(process.versions.node.split('.')[0])
if (major < 24) {
  process.stderr.write(
    `vault-dr needs Node.js 24; this is ${process.version}. Run it as "npx vault-dr" in the checkout, which uses the Node 24 that npm ci installed.\n`,
  )
  process.exit(2)
}
const { registerHooks } = await import('node:module')
registerHooks({
  resolve: (specifier, context, next) =>
    next(specifier, { ...context, conditions: [...context.conditions, '@vault-dr/source'] }),
})
// A reader that went away (`| head`, `grep -m1`) ends the CLI quietly: what it would print has no one to read it.
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err
  process.exit(process.exitCode ?? 0)
})
const { runCli } = await import('../src/main.ts')
process.exitCode = await runCli(process.argv.slice(2), process.env)
