import { runService } from '@vault-dr/core'
import { buildApp } from './app.ts'
import { loadGatewayConfig } from './config.ts'

await runService(loadGatewayConfig, buildApp)
