import { describe, expect, it } from 'vitest'
import { CliUsageError, parseCli } from './cli-options.ts'

describe('parseCli', () => {
  it('maps flags to startCluster options and takes the root token from the environment', () => {
    const parsed = parseCli(
      [
        '--api-addr',
        '127.0.1.1:8200',
        '--cluster-addr',
        '127.0.1.1:8201',
        '--tls',
        '--ca-out',
        'ca.pem',
        '--community',
        '--heartbeat-ms',
        '0',
        '--name',
        'dc1',
      ],
      { VAULT_SIM_ROOT_TOKEN: 'from-env' },
    )
    expect(parsed.caOut).toBe('ca.pem')
    expect(parsed.cluster).toMatchObject({
      apiAddr: '127.0.1.1:8200',
      clusterAddr: '127.0.1.1:8201',
      rootToken: 'from-env',
      tls: true,
      enterprise: false,
      name: 'dc1',
      timings: { heartbeatMs: 0 },
    })
    expect(parseCli(['--root-token', 'flag'], { VAULT_SIM_ROOT_TOKEN: 'env' }).cluster.rootToken).toBe('flag')
  })

  it('maps the admin, key-share and heartbeat-timeout flags', () => {
    const parsed = parseCli(
      [
        '--admin-addr',
        '127.0.0.1:0',
        '--key-shares',
        '5',
        '--key-threshold',
        '3',
        '--unseal-keys-out',
        'keys.txt',
        '--heartbeat-timeout-ms',
        '900',
        '--wal-buffer-entries',
        '0',
      ],
      { VAULT_SIM_ROOT_TOKEN: 't' },
    )
    expect(parsed).toMatchObject({ adminAddr: '127.0.0.1:0', unsealKeysOut: 'keys.txt' })
    expect(parsed.cluster).toMatchObject({
      keyShares: 5,
      keyThreshold: 3,
      timings: { heartbeatTimeoutMs: 900 },
      walBufferEntries: 0,
    })
  })

  it('refuses bad input with a usage error', () => {
    const env = { VAULT_SIM_ROOT_TOKEN: 't' }
    expect(() => parseCli([], {})).toThrow(CliUsageError)
    expect(() => parseCli(['--bogus'], env)).toThrow(CliUsageError)
    expect(() => parseCli(['--ca-out', 'x'], env)).toThrow(/--tls/)
    expect(() => parseCli(['--restart-ms', '-1'], env)).toThrow(CliUsageError)
    expect(() => parseCli(['--key-shares', '0'], env)).toThrow(/--key-shares/)
    expect(() => parseCli(['--wal-buffer-entries', '-1'], env)).toThrow(/--wal-buffer-entries/)
    expect(parseCli(['--help'], {}).help).toBe(true)
  })
})
