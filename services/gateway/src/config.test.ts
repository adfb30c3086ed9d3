import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '@vault-dr/core'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../test/helpers/gateway.ts'
import { loadGatewayConfig } from './config.ts'

const API_TOKEN = 'gateway-api-token-0123456789'

describe('loadGatewayConfig', () => {
  it('applies the defaults, and derives the store key from the API token when no key is set', () => {
    const config = loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN })
    expect(config.listen.port).toBe(8400)
    expect(config.storePath).toBe('.vault-dr/gateway.sqlite')
    expect(config.storeSecret).toBe(API_TOKEN)
    expect(config.storeKeyFromApiToken).toBe(true)
    expect(config.handshakes).toMatchObject({
      agentTimeoutMs: 15_000,
      agentChangeTimeoutMs: 60_000,
      fleetTimeoutMs: 2_000,
      verifyTimeoutMs: 60_000,
      defaultTokenTtl: '5m',
      tokenMinRemainingMs: 30_000,
      leaseMs: 30_000,
    })
  })

  it("reads the agents' CA from VAULT_DR_AGENT_CACERT, and names it when the file cannot be read", () => {
    const tmp = tempDir()
    try {
      const file = join(tmp.dir, 'agents-ca.pem')
      writeFileSync(file, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
      expect(loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN, VAULT_DR_AGENT_CACERT: file }).agentCaPem).toContain(
        'BEGIN CERTIFICATE',
      )
      expect(loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN }).agentCaPem).toBeUndefined()
      const missing = join(tmp.dir, 'missing.pem')
      expect(() => loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN, VAULT_DR_AGENT_CACERT: missing })).toThrow(
        `VAULT_DR_AGENT_CACERT: cannot read ${missing} (ENOENT)`,
      )
    } finally {
      tmp.cleanup()
    }
  })

  it('refuses a VAULT_DR_TOKEN_TTL not longer than VAULT_DR_TOKEN_MIN_REMAINING_MS, naming both', () => {
    expect(() => loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN, VAULT_DR_TOKEN_TTL: '10s' })).toThrow(
      /VAULT_DR_TOKEN_TTL: 10s \(10000 ms\) must be longer than VAULT_DR_TOKEN_MIN_REMAINING_MS \(30000 ms\)/,
    )
    expect(() =>
      loadGatewayConfig({
        VAULT_DR_API_TOKEN: API_TOKEN,
        VAULT_DR_TOKEN_TTL: '1m',
        VAULT_DR_TOKEN_MIN_REMAINING_MS: '60000',
      }),
    ).toThrow(/VAULT_DR_TOKEN_TTL: .*VAULT_DR_TOKEN_MIN_REMAINING_MS/)
    const config = loadGatewayConfig({
      VAULT_DR_API_TOKEN: API_TOKEN,
      VAULT_DR_TOKEN_TTL: '1m',
      VAULT_DR_TOKEN_MIN_REMAINING_MS: '59000',
    })
    expect(config.handshakes).toMatchObject({ defaultTokenTtl: '1m', tokenMinRemainingMs: 59_000 })
  })

  it('takes VAULT_DR_AGENT_RETURN_MS in ms, 60 s by default, 0 to fail a step an agent gave no answer to at once', () => {
    expect(loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN }).handshakes.agentReturnMs).toBe(60_000)
    const off = loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN, VAULT_DR_AGENT_RETURN_MS: '0' })
    expect(off.handshakes.agentReturnMs).toBe(0)
    expect(() => loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN, VAULT_DR_AGENT_RETURN_MS: '-1' })).toThrow(
      'VAULT_DR_AGENT_RETURN_MS: must be 0 (off) or more',
    )
  })

  it('keeps VAULT_DR_PRIMARY_CONTACT_MS within a third of the shortest self-fencing duration (10 s)', () => {
    expect(loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN }).pairs?.primaryContactMs).toBe(3_000)
    const fast = loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN, VAULT_DR_PRIMARY_CONTACT_MS: '500' })
    expect(fast.pairs?.primaryContactMs).toBe(500)
    expect(() => loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN, VAULT_DR_PRIMARY_CONTACT_MS: '5000' })).toThrow(
      'VAULT_DR_PRIMARY_CONTACT_MS: must be at most 3000',
    )
  })

  it('refuses a VAULT_DR_GATEWAY_ID with "/" (leases are written as <id>/<instance>), naming the variable', () => {
    expect(() => loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN, VAULT_DR_GATEWAY_ID: 'gw/a' })).toThrow(
      /VAULT_DR_GATEWAY_ID: must not contain "\/"/,
    )
    expect(loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN, VAULT_DR_GATEWAY_ID: 'gw-a' }).handshakes.gatewayId).toBe(
      'gw-a',
    )
  })

  it('reads VAULT_DR_STORE_KEY from a file, and names bad variables without echoing secrets', () => {
    const tmp = tempDir()
    try {
      const file = join(tmp.dir, 'store-key')
      writeFileSync(file, 'store-key-from-a-file-0123\n')
      expect(loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN, VAULT_DR_STORE_KEY_FILE: file }).storeSecret).toBe(
        'store-key-from-a-file-0123',
      )
    } finally {
      tmp.cleanup()
    }
    let error: unknown
    try {
      loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN, VAULT_DR_STORE_KEY: 'short', VAULT_DR_TOKEN_TTL: '5 min' })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'VAULT_DR_STORE_KEY',
      'VAULT_DR_TOKEN_TTL',
    ])
    expect((error as ConfigError).message).not.toContain('short')
  })

  it('takes a read-only VAULT_DR_READ_TOKEN (or its _FILE) only when it differs from the API token, never echoed', () => {
    expect(loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN }).readToken).toBeUndefined()
    const tmp = tempDir()
    try {
      const file = join(tmp.dir, 'read-token')
      writeFileSync(file, 'read-token-from-a-file-0123\n')
      expect(loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN, VAULT_DR_READ_TOKEN_FILE: file }).readToken).toBe(
        'read-token-from-a-file-0123',
      )
    } finally {
      tmp.cleanup()
    }
    for (const [value, message] of [
      [API_TOKEN, 'must differ from VAULT_DR_API_TOKEN'],
      ['tiny-secret', 'must be at least 16 characters'],
    ] as const) {
      let error: unknown
      try {
        loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN, VAULT_DR_READ_TOKEN: value })
      } catch (err) {
        error = err
      }
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).problems).toEqual([
        expect.stringMatching(new RegExp(`^VAULT_DR_READ_TOKEN: ${message}`)),
      ])
      expect((error as ConfigError).message).not.toContain(value)
    }
  })

  it('reads an etcd:// VAULT_DR_STORE as etcd members, with TLS files and a key prefix', () => {
    const plain = loadGatewayConfig({
      VAULT_DR_API_TOKEN: API_TOKEN,
      VAULT_DR_STORE: 'etcd://a:2379,10.0.0.2:2379,[::1]:2379',
    })
    expect(plain.etcd).toEqual({
      hosts: ['http://a:2379', 'http://10.0.0.2:2379', 'http://[::1]:2379'],
      prefix: '/vault-dr/',
      caPem: undefined,
      certPem: undefined,
      keyPem: undefined,
      callTimeoutMs: 2_000,
    })
    expect(loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN }).etcd).toBeUndefined()
    const tmp = tempDir()
    try {
      const ca = join(tmp.dir, 'ca.pem')
      const cert = join(tmp.dir, 'cert.pem')
      const key = join(tmp.dir, 'key.pem')
      writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
      writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n')
      writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n')
      const tls = loadGatewayConfig({
        VAULT_DR_API_TOKEN: API_TOKEN,
        VAULT_DR_STORE: 'etcd://a:2379',
        VAULT_DR_ETCD_CACERT: ca,
        VAULT_DR_ETCD_CERT: cert,
        VAULT_DR_ETCD_KEY: key,
        VAULT_DR_ETCD_PREFIX: '/site-a/dr/',
      }).etcd
      expect(tls).toMatchObject({ hosts: ['https://a:2379'], prefix: '/site-a/dr/' })
      expect([tls?.caPem, tls?.certPem, tls?.keyPem].map((pem) => pem?.slice(0, 27))).toEqual([
        '-----BEGIN CERTIFICATE-----',
        '-----BEGIN CERTIFICATE-----',
        '-----BEGIN PRIVATE KEY-----',
      ])
      const halfTls = () =>
        loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN, VAULT_DR_STORE: 'etcd://a:2379', VAULT_DR_ETCD_CERT: cert })
      expect(halfTls).toThrow(/VAULT_DR_ETCD_CERT and VAULT_DR_ETCD_KEY: set both/)
      expect(halfTls).toThrow(/VAULT_DR_ETCD_CACERT: set it/)
    } finally {
      tmp.cleanup()
    }
  })

  it('refuses a hook CA file that is not PEM and a hook timeout out of bounds at start, naming the variable', () => {
    const tmp = tempDir()
    try {
      const notPem = join(tmp.dir, 'not.pem')
      writeFileSync(notPem, 'hello')
      const load = (env: Record<string, string>) => () => loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN, ...env })
      // A ConfigError: the gateway exits 78 with the variable named, not with a stack.
      expect(load({ VAULT_DR_HOOK_CACERT: notPem })).toThrow(ConfigError)
      expect(load({ VAULT_DR_HOOK_CACERT: notPem })).toThrow(/VAULT_DR_HOOK_CACERT: .* no PEM/)
      expect(load({ VAULT_DR_HOOK_TIMEOUT_MS: '5' })).toThrow(
        /VAULT_DR_HOOK_TIMEOUT_MS: must be between 100 and 300000/,
      )
      expect(load({})().handshakes.hooks).toEqual({ caPem: undefined, timeoutMs: 10_000 })
      expect(load({ VAULT_DR_HOOK_TIMEOUT_MS: '2500' })().handshakes.hooks?.timeoutMs).toBe(2500)
    } finally {
      tmp.cleanup()
    }
  })

  it('names VAULT_DR_STORE when an etcd address is not host:port, and VAULT_DR_ETCD_PREFIX without slashes', () => {
    const load = (env: Record<string, string>) => () => loadGatewayConfig({ VAULT_DR_API_TOKEN: API_TOKEN, ...env })
    expect(load({ VAULT_DR_STORE: 'etcd://a:2379,b,c:99999' })).toThrow(
      /VAULT_DR_STORE: "b", "c:99999" is not host:port: write etcd:\/\/host1:2379/,
    )
    expect(load({ VAULT_DR_STORE: 'etcd://' })).toThrow(/VAULT_DR_STORE: "" is not host:port/)
    const withPassword = load({ VAULT_DR_STORE: 'etcd://root:EtcdS3cret@a:2379' })
    expect(withPassword).toThrow(/VAULT_DR_STORE: etcd members are written host:port, without a user name or password/)
    expect(withPassword).not.toThrow(/EtcdS3cret/)
    expect(load({ VAULT_DR_STORE: 'etcd://a:1', VAULT_DR_ETCD_PREFIX: 'vault-dr' })).toThrow(
      /VAULT_DR_ETCD_PREFIX: must start and end with "\/"/,
    )
  })
})
