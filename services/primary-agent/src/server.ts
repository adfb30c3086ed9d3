import { runService } from '@vault-dr/core'
import { buildApp } from './app.ts'
import { loadPrimaryAgentConfig } from './config.ts'

await runService(loadPrimaryAgentConfig, buildApp)
