import { prepareNode } from '@vault-dr/core/node-version'

await prepareNode('vault-dr gateway')
const { runService } = await import('@vault-dr/core')
const { buildApp } = await import('./app.ts')
const { loadGatewayConfig } = await import('./config.ts')

await runService(loadGatewayConfig, buildApp)
