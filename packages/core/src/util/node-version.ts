/** The Node.js major version the services run on (the `node` devDependency npm ci installs). */
export const REQUIRED_NODE_MAJOR = 24

/**
 * Stops a service started on an older Node.js, saying so (exit 78, as a configuration error): its imports would
 * otherwise fail with errors that do not say why (a missing node:sqlite, an export node:module lacks). Imports
 * nothing, so it runs before anything that would fail.
 */
export function requireNode(service: string, version = process.version): void {
  const major = Number(version.replace(/^v/, '').split('.')[0])
  if (major >= REQUIRED_NODE_MAJOR) return
  process.stderr.write(
    `${service} needs Node.js ${REQUIRED_NODE_MAJOR} or newer; this is ${version}. Run it with the Node.js ${REQUIRED_NODE_MAJOR} that "npm ci" installed (node_modules/.bin/node, which npm scripts and npx use), or install Node.js ${REQUIRED_NODE_MAJOR}.\n`,
  )
  process.exit(78)
}

/**
 * A service's first lines: requireNode, then Node's on-disk V8 code cache on (os.tmpdir()/node-compile-cache unless
 * NODE_COMPILE_CACHE names another directory, off with NODE_DISABLE_COMPILE_CACHE=1), which spares later starts
 * compiling the modules again. It must be on before they load, so the entry imports them dynamically after this.
 */
export async function prepareNode(service: string): Promise<void> {
  requireNode(service)
  const { enableCompileCache } = await import('node:module')
  enableCompileCache()
}
