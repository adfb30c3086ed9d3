import { runService } from '@vault-dr/core'
import { buildApp } from './app.ts'
import { loadSecondaryAgentConfig } from './config.ts'

await runService(loadSecondaryAgentConfig, buildApp)
