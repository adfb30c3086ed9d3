import { writeOpenApi } from '@vault-dr/core'
import { buildApp } from '../src/app.ts'
import { loadPrimaryAgentConfig } from '../src/config.ts'

const exampleConfig = loadPrimaryAgentConfig({
  VAULT_DR_API_TOKEN: 'example-token-not-used-for-anything',
  VAULT_ADDR: 'https://127.0.0.1:8200',
  VAULT_TOKEN: 'example',
  VAULT_DR_LOG_LEVEL: 'silent',
})
await writeOpenApi(await buildApp(exampleConfig), new URL('../openapi.json', import.meta.url))
