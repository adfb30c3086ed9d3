import { prepareNode } from '@vault-dr/core/node-version'

await prepareNode('vault-dr primary agent')
const { runService } = await import('@vault-dr/core')
const { buildApp } = await import('./app.ts')
const { loadPrimaryAgentConfig } = await import('./config.ts')

await runService(loadPrimaryAgentConfig, buildApp)
