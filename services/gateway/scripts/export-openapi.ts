import { writeOpenApi } from '@vault-dr/core'
import { buildApp } from '../src/app.ts'
import { loadGatewayConfig } from '../src/config.ts'

const exampleConfig = loadGatewayConfig({
  VAULT_DR_API_TOKEN: 'example-token-not-used-for-anything',
  VAULT_DR_STORE: ':memory:',
  VAULT_DR_LOG_LEVEL: 'silent',
})
await writeOpenApi(await buildApp(exampleConfig), new URL('../openapi.json', import.meta.url))
