import { parseArgs } from 'node:util'
import { adminOperations } from './admin.ts'
import type { SimTimings, StartClusterOptions } from './options.ts'

export const usage = `Usage: vault-sim [options]

Emulates one Vault Enterprise cluster (API + mutual-TLS cluster port) for DR-replication tests.
Prints one JSON line {"name","api_addr","cluster_addr","ca_file"?,"admin_addr"?} once listening, then, when stdout
is a terminal, the unseal key shares once as "Unseal Key N: <base64>" lines like \`vault operator init\` (never on
stderr, the event log); stops on SIGTERM/SIGINT.

  --api-addr host:port          API listener (default 127.0.0.1:0 = a free port)
  --cluster-addr host:port      cluster listener (default: API host, a free port)
  --api-advertise-addr url      api_addr put in activation tokens ('' = none; default the listen URL)
  --cluster-advertise-addr url  cluster_addr given to secondaries (default the listen URL)
  --name name                   cluster name
  --vault-version v             reported version (default 1.21.0+ent)
  --tls                         serve the API over TLS with a generated CA
  --ca-out file                 with --tls: write that CA (PEM) to file
  --community                   Community Edition mode (replication paths answer 404)
  --bootstrap-ms, --merkle-diff-ms, --merkle-sync-ms, --heartbeat-ms, --reconnect-ms, --restart-ms  timings
  --admin-addr host:port        also serve the admin interface there (loopback; see below)
  --key-shares n, --key-threshold t  unseal key shares made at start (default 1 and 1)
  --wal-buffer-entries n        writes kept for secondaries that reconnect (default 1000; 0: always a merkle sync)
  --unseal-keys-out file        write the unseal key shares to file (mode 0600)
  --print-unseal-keys           print them on stdout even when it is not a terminal
  --heartbeat-timeout-ms        silence after which a replication connection is given up
  --quiet                       no event lines on stderr
  --root-token token            root token; prefer the VAULT_SIM_ROOT_TOKEN environment variable

Admin interface (--admin-addr; JSON over HTTP, not Vault's API, no secrets):
${Object.entries(adminOperations)
  .map(([op, what]) => `  ${op.padEnd(44)} ${what}`)
  .join('\n')}

Emulated Vault API: sys/health, sys/seal-status, sys/leader, sys/replication/{status,dr/status},
sys/replication/dr/primary/{enable,secondary-token,revoke-secondary,demote,disable},
sys/replication/dr/secondary/{enable,generate-public-key,promote,update-primary,disable},
sys/storage/raft/{autopilot/state,configuration}, sys/wrapping/{lookup,unwrap}, sys/policies/acl,
sys/capabilities-self, auth/token/{create,create-orphan,create/<role>,roles/<role>,lookup-self,revoke,revoke-self},
secret/data/<path> (KV v2). See the package README for options, faults and the choices made.
`

const timingFlags = {
  'bootstrap-ms': 'bootstrapMs',
  'merkle-diff-ms': 'merkleDiffMs',
  'merkle-sync-ms': 'merkleSyncMs',
  'heartbeat-ms': 'heartbeatMs',
  'heartbeat-timeout-ms': 'heartbeatTimeoutMs',
  'reconnect-ms': 'reconnectMs',
  'restart-ms': 'restartMs',
} as const satisfies Record<string, keyof SimTimings>

export interface CliOptions {
  cluster: StartClusterOptions
  caOut: string | undefined
  adminAddr: string | undefined
  unsealKeysOut: string | undefined
  printUnsealKeys: boolean
  quiet: boolean
  help: boolean
}

export class CliUsageError extends Error {
  override name = 'CliUsageError'
}

/** Turns argv + environment into startCluster options; throws CliUsageError on bad input. */
export function parseCli(argv: string[], env: Record<string, string | undefined>): CliOptions {
  let values: ReturnType<typeof parse>['values']
  try {
    values = parse(argv).values
  } catch (err) {
    throw new CliUsageError((err as Error).message)
  }
  const rootToken = values['root-token'] ?? env.VAULT_SIM_ROOT_TOKEN
  if (!values.help && !rootToken) {
    throw new CliUsageError('no root token: set VAULT_SIM_ROOT_TOKEN (or pass --root-token)')
  }
  if (values['ca-out'] && !values.tls) throw new CliUsageError('--ca-out needs --tls')
  const timings: Partial<SimTimings> = {}
  for (const [flag, key] of Object.entries(timingFlags)) {
    const raw = values[flag as keyof typeof timingFlags]
    if (raw === undefined) continue
    const ms = Number(raw)
    if (!Number.isInteger(ms) || ms < 0) throw new CliUsageError(`--${flag} needs a whole number of milliseconds`)
    timings[key] = ms
  }
  const keyShares = wholeNumber(values['key-shares'], '--key-shares')
  const keyThreshold = wholeNumber(values['key-threshold'], '--key-threshold')
  const walBuffer = values['wal-buffer-entries']
  const walBufferEntries = walBuffer === undefined ? undefined : Number(walBuffer)
  if (walBufferEntries !== undefined && (!Number.isInteger(walBufferEntries) || walBufferEntries < 0)) {
    throw new CliUsageError('--wal-buffer-entries needs a whole number of at least 0')
  }
  return {
    cluster: {
      keyShares,
      keyThreshold,
      apiAddr: values['api-addr'],
      clusterAddr: values['cluster-addr'],
      apiAdvertiseAddr: values['api-advertise-addr'],
      clusterAdvertiseAddr: values['cluster-advertise-addr'],
      rootToken,
      name: values.name,
      version: values['vault-version'],
      tls: values.tls ?? false,
      enterprise: !values.community,
      timings,
      walBufferEntries,
    },
    caOut: values['ca-out'],
    adminAddr: values['admin-addr'],
    unsealKeysOut: values['unseal-keys-out'],
    printUnsealKeys: values['print-unseal-keys'] ?? false,
    quiet: values.quiet ?? false,
    help: values.help ?? false,
  }
}

function wholeNumber(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new CliUsageError(`${flag} needs a whole number of at least 1`)
  return n
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      'api-addr': { type: 'string' },
      'cluster-addr': { type: 'string' },
      'api-advertise-addr': { type: 'string' },
      'cluster-advertise-addr': { type: 'string' },
      'root-token': { type: 'string' },
      name: { type: 'string' },
      'vault-version': { type: 'string' },
      tls: { type: 'boolean' },
      'ca-out': { type: 'string' },
      'admin-addr': { type: 'string' },
      'unseal-keys-out': { type: 'string' },
      'print-unseal-keys': { type: 'boolean' },
      'key-shares': { type: 'string' },
      'key-threshold': { type: 'string' },
      'wal-buffer-entries': { type: 'string' },
      community: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      'bootstrap-ms': { type: 'string' },
      'merkle-diff-ms': { type: 'string' },
      'merkle-sync-ms': { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      'heartbeat-timeout-ms': { type: 'string' },
      'reconnect-ms': { type: 'string' },
      'restart-ms': { type: 'string' },
    },
  })
}
