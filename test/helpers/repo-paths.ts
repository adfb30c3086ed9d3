import { fileURLToPath } from 'node:url'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
export const serviceEntry = (service: 'primary-agent' | 'secondary-agent' | 'gateway') =>
  `${repoRoot}services/${service}/dist/server.js`
export const serviceOpenApi = (service: 'primary-agent' | 'secondary-agent' | 'gateway') =>
  `${repoRoot}services/${service}/openapi.json`
