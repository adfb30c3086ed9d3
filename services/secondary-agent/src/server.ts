import { prepareNode } from '@vault-dr/core/node-version'

await prepareNode('vault-dr secondary agent')
const { runService } = await import('@vault-dr/core')
const { buildApp } = await import('./app.ts')
const { loadSecondaryAgentConfig } = await import('./config.ts')

await runService(loadSecondaryAgentConfig, buildApp)
