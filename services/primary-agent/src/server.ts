import { requireNode } from '@vault-dr/core/node-version'

requireNode('vault-dr primary agent')
const { enableCompileCache } = await import('node:module')
// Node's on-disk V8 code cache (os.tmpdir()/node-compile-cache unless NODE_COMPILE_CACHE names another directory,
// off with NODE_DISABLE_COMPILE_CACHE=1) spares later starts compiling the modules again. It must be on before they
// load, and static imports would load them before this line runs, hence the dynamic imports.
enableCompileCache()
const { runService } = await import('@vault-dr/core')
const { buildApp } = await import('./app.ts')
const { loadPrimaryAgentConfig } = await import('./config.ts')

await runService(loadPrimaryAgentConfig, buildApp)
