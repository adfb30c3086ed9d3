import { requireNode } from '@vault-dr/core/node-version'

// Before anything else loads: on an older Node.js the imports below fail without saying why.
requireNode('vault-dr gateway')
const { runService } = await import('@vault-dr/core')
const { buildApp } = await import('./app.ts')
const { loadGatewayConfig } = await import('./config.ts')

await runService(loadGatewayConfig, buildApp)
