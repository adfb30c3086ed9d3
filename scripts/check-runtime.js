// npm puts node_modules/.bin first on PATH, so scripts run on the Node the project ships (package "node").
const major = Number(process.versions.node.split('.')[0])
if (major < 24) {
  process.stderr.write(`vault-dr needs Node 24 or newer; this script ran on ${process.version}. Run it through npm.\n`)
  process.exit(1)
}
