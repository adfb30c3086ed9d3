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
 * A service's first lines: requireNode, then Node's on-disk V8 code cache on, which spares later starts compiling the
 * modules again. It must be on before they load, so the entry imports them dynamically after this. The cache is
 * NODE_COMPILE_CACHE's when set (NODE_DISABLE_COMPILE_CACHE=1 turns it off), else a folder of this user's own: the
 * services hold tokens and keys, and code compiled into a shared folder another user made first would run in them.
 */
export async function prepareNode(service: string): Promise<void> {
  requireNode(service)
  if (process.env.NODE_COMPILE_CACHE !== undefined) return // Node enabled it at start.
  const [{ enableCompileCache }, { tmpdir }] = await Promise.all([import('node:module'), import('node:os')])
  const dir = await privateCompileCacheDir(tmpdir())
  if (dir !== undefined) enableCompileCache(dir)
}

/** `<base>/vault-dr-compile-cache-<uid>`, made owner-only; undefined when it exists and is not that (no cache then). */
export async function privateCompileCacheDir(base: string): Promise<string | undefined> {
  const [{ lstatSync, mkdirSync }, { join }] = await Promise.all([import('node:fs'), import('node:path')])
  const uid = process.getuid?.()
  const dir = join(base, `vault-dr-compile-cache-${uid ?? 'user'}`)
  try {
    mkdirSync(dir, { mode: 0o700 })
  } catch (err) {
    if ((err as { code?: string }).code !== 'EEXIST') return undefined
  }
  const found = lstatSync(dir)
  const own = found.isDirectory() && (uid === undefined || found.uid === uid) && (found.mode & 0o077) === 0
  return own ? dir : undefined
}
