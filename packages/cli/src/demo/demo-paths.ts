import { fileURLToPath } from 'node:url'

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url))
/** The demo's data folder: the gateway's store, generated tokens (0600) and each process's log. */
export const dataDir = `${repoRoot}.vault-dr`
