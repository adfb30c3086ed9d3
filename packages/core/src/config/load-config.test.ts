import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { SERVICE_SECRET_VARS, serviceEnvShape, VAULT_SECRET_VARS, vaultEnvShape } from './env-schemas.ts'
import { ConfigError, type Env, loadEnv } from './load-config.ts'
import { serviceSettings, vaultSettings } from './service-config.ts'

const schema = z.object({ ...serviceEnvShape(8410), ...vaultEnvShape })
const secrets = [...SERVICE_SECRET_VARS, ...VAULT_SECRET_VARS]

const API_TOKEN = 'api-token-0123456789abcdef'
const VAULT_TOKEN = 'hvs.vault-token-secret'
const valid: Env = { VAULT_DR_API_TOKEN: API_TOKEN, VAULT_ADDR: 'https://127.0.0.1:8200', VAULT_TOKEN }

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vault-dr-config-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

function file(name: string, content: string): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

/** Runs loadEnv expecting a ConfigError, and returns it. */
function configError(env: Env): ConfigError {
  try {
    loadEnv(schema, env, secrets)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error('loadEnv accepted an invalid environment')
}

describe('loadEnv', () => {
  it('applies the defaults and returns a frozen config', () => {
    const config = loadEnv(schema, valid, secrets)
    expect(config).toEqual({
      VAULT_DR_HOST: '127.0.0.1',
      VAULT_DR_PORT: 8410,
      VAULT_DR_API_TOKEN: API_TOKEN,
      VAULT_DR_LOG_LEVEL: 'info',
      VAULT_DR_BODY_LIMIT: 65536,
      VAULT_ADDR: 'https://127.0.0.1:8200',
      VAULT_TOKEN,
      VAULT_SKIP_VERIFY: false,
      VAULT_DR_VAULT_TIMEOUT_MS: 10_000,
    })
    expect(Object.isFrozen(config)).toBe(true)
    expect(() => {
      ;(config as { VAULT_DR_PORT: number }).VAULT_DR_PORT = 1
    }).toThrow(TypeError)
    expect(config.VAULT_DR_PORT).toBe(8410)
  })

  it('coerces the values it is given', () => {
    const config = loadEnv(
      schema,
      {
        ...valid,
        VAULT_DR_HOST: '0.0.0.0',
        VAULT_DR_PORT: '9000',
        VAULT_DR_LOG_LEVEL: 'debug',
        VAULT_DR_BODY_LIMIT: '2048',
        VAULT_SKIP_VERIFY: 'yes',
        VAULT_DR_VAULT_TIMEOUT_MS: '2500',
      },
      secrets,
    )
    expect(config).toMatchObject({
      VAULT_DR_HOST: '0.0.0.0',
      VAULT_DR_PORT: 9000,
      VAULT_DR_LOG_LEVEL: 'debug',
      VAULT_DR_BODY_LIMIT: 2048,
      VAULT_SKIP_VERIFY: true,
      VAULT_DR_VAULT_TIMEOUT_MS: 2500,
    })
    expect(loadEnv(schema, { ...valid, VAULT_SKIP_VERIFY: '0' }, secrets).VAULT_SKIP_VERIFY).toBe(false)
  })

  it.each(['abc', '70000', '-1', '80.5'])('rejects VAULT_DR_PORT=%s naming the variable', (port) => {
    const err = configError({ ...valid, VAULT_DR_PORT: port })
    expect(err.code).toBe('CORE_ERR_CONFIG')
    expect(err.problems).toHaveLength(1)
    expect(err.problems[0]).toMatch(/^VAULT_DR_PORT: /)
    expect(err.message).toContain('VAULT_DR_PORT')
  })

  it('says a port out of range must be between 0 and 65535', () => {
    expect(configError({ ...valid, VAULT_DR_PORT: '70000' }).problems).toEqual([
      'VAULT_DR_PORT: must be between 0 and 65535',
    ])
  })

  it('names a missing VAULT_DR_API_TOKEN and its _FILE alternative', () => {
    const { VAULT_DR_API_TOKEN: _, ...env } = valid
    const err = configError(env)
    expect(err.problems).toHaveLength(1)
    expect(err.problems[0]).toMatch(/^VAULT_DR_API_TOKEN: is required \(or VAULT_DR_API_TOKEN_FILE\)/)
  })

  it('rejects a VAULT_ADDR that is not an http(s) URL', () => {
    for (const addr of ['not a url', 'vault.example.com:8200', 'ftp://vault.example.com']) {
      const err = configError({ ...valid, VAULT_ADDR: addr })
      expect(err.problems).toEqual([expect.stringMatching(/^VAULT_ADDR: must be an http\(s\) URL/)])
    }
  })

  it('refuses a VAULT_ADDR with a user name or password, and never echoes it', () => {
    for (const addr of ['https://admin:S3cretPass@127.0.0.1:8200', 'http://S3cretPass@vault.example:8200']) {
      const err = configError({ ...valid, VAULT_ADDR: addr })
      expect(err.problems).toEqual([expect.stringMatching(/^VAULT_ADDR: must not carry a user name or password/)])
      expect(JSON.stringify(err.problems)).not.toContain('S3cretPass')
      expect(String(err.message)).not.toContain('S3cretPass')
    }
  })

  it('rejects a VAULT_SKIP_VERIFY that is not a boolean', () => {
    const err = configError({ ...valid, VAULT_SKIP_VERIFY: 'maybe' })
    expect(err.problems).toEqual([expect.stringMatching(/^VAULT_SKIP_VERIFY: must be true or false/)])
  })

  it('refuses Vault CLI variables the agents cannot honour, naming each and what to use instead', () => {
    const err = configError({
      ...valid,
      VAULT_CAPATH: '/etc/ssl/vault-cas',
      VAULT_NAMESPACE: 'admin',
      VAULT_TLS_SERVER_NAME: 'vault.internal',
    })
    expect(err.problems).toEqual([
      expect.stringMatching(/^VAULT_CAPATH: is not supported .*VAULT_CACERT/),
      expect.stringMatching(/^VAULT_NAMESPACE: is not supported: DR replication is managed in the root namespace/),
      expect.stringMatching(/^VAULT_TLS_SERVER_NAME: is not supported: set VAULT_ADDR/),
    ])
    expect(loadEnv(schema, { ...valid, VAULT_NAMESPACE: '' }, secrets).VAULT_ADDR).toBe('https://127.0.0.1:8200')
  })

  it('reports every problem at once, one line each', () => {
    const err = configError({
      VAULT_DR_PORT: 'abc',
      VAULT_ADDR: 'nope',
      VAULT_TOKEN,
      VAULT_SKIP_VERIFY: 'maybe',
      VAULT_DR_LOG_LEVEL: 'loud',
    })
    const named = err.problems.map((p) => p.split(':')[0])
    expect(named.sort()).toEqual(
      ['VAULT_ADDR', 'VAULT_DR_API_TOKEN', 'VAULT_DR_LOG_LEVEL', 'VAULT_DR_PORT', 'VAULT_SKIP_VERIFY'].sort(),
    )
    for (const problem of err.problems) expect(err.message).toContain(`  - ${problem}`)
    expect(err.message.startsWith('Invalid configuration:\n')).toBe(true)
  })

  it('treats empty-string variables as unset', () => {
    const config = loadEnv(
      schema,
      { ...valid, VAULT_DR_PORT: '', VAULT_DR_HOST: '', VAULT_SKIP_VERIFY: '', VAULT_CACERT: '' },
      secrets,
    )
    expect(config.VAULT_DR_PORT).toBe(8410)
    expect(config.VAULT_DR_HOST).toBe('127.0.0.1')
    expect(config.VAULT_SKIP_VERIFY).toBe(false)
    expect(config.VAULT_CACERT).toBeUndefined()

    const err = configError({ ...valid, VAULT_DR_API_TOKEN: '' })
    expect(err.problems).toEqual([expect.stringMatching(/^VAULT_DR_API_TOKEN: is required/)])
  })

  it('never puts a secret value in the message', () => {
    const shortToken = 'sh0rtS3cr3t'
    const err = configError({ ...valid, VAULT_DR_API_TOKEN: shortToken, VAULT_DR_API_TOKEN_FILE: '' })
    expect(err.problems).toEqual(['VAULT_DR_API_TOKEN: must be at least 16 characters'])
    expect(err.message).not.toContain(shortToken)

    const both = configError({ ...valid, VAULT_TOKEN_FILE: file('both-token', 'hvs.from-file-secret') })
    expect(both.message).toContain('VAULT_TOKEN and VAULT_TOKEN_FILE are both set')
    expect(both.message).not.toContain(VAULT_TOKEN)
    expect(both.message).not.toContain('hvs.from-file-secret')

    // A token no header can carry would fail every call with the token quoted: refused at start, by name only.
    const { VAULT_TOKEN: _v, ...rest } = valid
    const twoLines = configError({ ...rest, VAULT_TOKEN_FILE: file('two-lines', 'hvs.line-one-secret\nline-two\n') })
    expect(twoLines.problems).toEqual(['VAULT_TOKEN: must be printable ASCII without spaces'])
    expect(twoLines.message).not.toContain('line-one-secret')
  })

  describe('secrets from files', () => {
    it('reads VAULT_TOKEN_FILE and VAULT_DR_API_TOKEN_FILE, trimmed', () => {
      const { VAULT_TOKEN: _v, VAULT_DR_API_TOKEN: _a, ...env } = valid
      const config = loadEnv(
        schema,
        {
          ...env,
          VAULT_TOKEN_FILE: file('vault-token', '  hvs.file-token\n'),
          VAULT_DR_API_TOKEN_FILE: file('api-token', `${API_TOKEN}\r\n`),
        },
        secrets,
      )
      expect(config.VAULT_TOKEN).toBe('hvs.file-token')
      expect(config.VAULT_DR_API_TOKEN).toBe(API_TOKEN)
    })

    it('uses the file when the variable itself is empty', () => {
      const config = loadEnv(
        schema,
        { ...valid, VAULT_TOKEN: '', VAULT_TOKEN_FILE: file('vault-token-2', 'hvs.other\n') },
        secrets,
      )
      expect(config.VAULT_TOKEN).toBe('hvs.other')
    })

    it('rejects X and X_FILE both set', () => {
      const err = configError({ ...valid, VAULT_DR_API_TOKEN_FILE: file('api-token-both', API_TOKEN) })
      expect(err.problems).toEqual(['VAULT_DR_API_TOKEN and VAULT_DR_API_TOKEN_FILE are both set: set only one'])
    })

    it('names the variable of a file it cannot read', () => {
      const { VAULT_TOKEN: _, ...env } = valid
      const missing = join(dir, 'no-such-file')
      const err = configError({ ...env, VAULT_TOKEN_FILE: missing })
      expect(err.problems[0]).toBe(`VAULT_TOKEN_FILE: cannot read ${missing} (ENOENT)`)
      // The token it could not read is then missing too; both are said.
      expect(err.problems.some((p) => p.startsWith('VAULT_TOKEN: is required'))).toBe(true)

      const err2 = configError({ ...env, VAULT_TOKEN_FILE: dir })
      expect(err2.problems[0]).toBe(`VAULT_TOKEN_FILE: cannot read ${dir} (EISDIR)`)
    })

    it('rejects an empty secret file as a missing secret', () => {
      const { VAULT_TOKEN: _, ...env } = valid
      const err = configError({ ...env, VAULT_TOKEN_FILE: file('empty-token', '\n') })
      expect(err.problems).toEqual([expect.stringMatching(/^VAULT_TOKEN: is required/)])
    })

    it('reads files only for the secrets it is told about', () => {
      const { VAULT_TOKEN: _, ...env } = valid
      expect(() => loadEnv(schema, { ...env, VAULT_TOKEN_FILE: file('ignored-token', 'hvs.x') }, [])).toThrow(
        /VAULT_TOKEN: is required/,
      )
    })
  })

  describe('PEM files', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n'

    it('reads VAULT_CACERT and friends and hands the PEM to the Vault settings', () => {
      const caPath = file('ca.pem', pem)
      const certPath = file('client.pem', pem.replace('test', 'client'))
      const keyPath = file('client-key.pem', '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n')
      const config = loadEnv(
        schema,
        { ...valid, VAULT_CACERT: caPath, VAULT_CLIENT_CERT: certPath, VAULT_CLIENT_KEY: keyPath },
        secrets,
      )
      expect(config.VAULT_CACERT).toEqual({ path: caPath, pem })
      expect(Object.isFrozen(config.VAULT_CACERT)).toBe(true)
      const vault = vaultSettings(config)
      expect(vault.caPem).toBe(pem)
      expect(vault.clientCertPem).toContain('MIIBclient')
      expect(vault.clientKeyPem).toContain('BEGIN PRIVATE KEY')
    })

    it('serves HTTPS with VAULT_DR_TLS_CERT and VAULT_DR_TLS_KEY, and refuses one without the other', () => {
      const certPath = file('server.pem', pem)
      const keyPath = file('server-key.pem', '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n')
      const both = loadEnv(schema, { ...valid, VAULT_DR_TLS_CERT: certPath, VAULT_DR_TLS_KEY: keyPath }, secrets)
      expect(serviceSettings(both).tls).toEqual({ certPem: pem, keyPem: expect.stringContaining('PRIVATE KEY') })
      const onlyCert = loadEnv(schema, { ...valid, VAULT_DR_TLS_CERT: certPath }, secrets)
      expect(() => serviceSettings(onlyCert)).toThrow(ConfigError)
      expect(() => serviceSettings(onlyCert)).toThrow(/VAULT_DR_TLS_CERT and VAULT_DR_TLS_KEY: set both/)
    })

    it('names VAULT_CACERT when its file cannot be read', () => {
      const missing = join(dir, 'missing-ca.pem')
      const err = configError({ ...valid, VAULT_CACERT: missing })
      expect(err.problems).toEqual([`VAULT_CACERT: cannot read ${missing} (ENOENT)`])
    })

    it('refuses a PEM variable whose file holds no block of the expected kind, naming it', () => {
      const garbage = file('garbage.pem', 'not a certificate\n')
      const keyPath = file('only-key.pem', '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n')
      const certPath = file('only-cert.pem', pem)
      expect(configError({ ...valid, VAULT_CACERT: garbage }).problems).toEqual([
        `VAULT_CACERT: ${garbage} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" block)`,
      ])
      // A key where a certificate belongs, and the other way round.
      expect(configError({ ...valid, VAULT_DR_TLS_CERT: keyPath, VAULT_DR_TLS_KEY: certPath }).problems).toEqual([
        `VAULT_DR_TLS_CERT: ${keyPath} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" block)`,
        `VAULT_DR_TLS_KEY: ${certPath} holds no PEM private key (no "-----BEGIN PRIVATE KEY-----" block)`,
      ])
      expect(configError({ ...valid, VAULT_CLIENT_CERT: certPath, VAULT_CLIENT_KEY: garbage }).problems).toEqual([
        `VAULT_CLIENT_KEY: ${garbage} holds no PEM private key (no "-----BEGIN PRIVATE KEY-----" block)`,
      ])
    })

    it.each(['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'])(
      'takes a %s file as a key',
      (kind) => {
        const keyPath = file('typed-key.pem', `-----BEGIN ${kind}-----\nkey\n-----END ${kind}-----\n`)
        expect(loadEnv(schema, { ...valid, VAULT_CLIENT_KEY: keyPath }, secrets).VAULT_CLIENT_KEY?.pem).toContain(kind)
      },
    )
  })
})

describe('settings', () => {
  it('maps the variables to the service and Vault settings', () => {
    const config = loadEnv(
      schema,
      { ...valid, VAULT_DR_PORT: '9001', VAULT_SKIP_VERIFY: 'true', VAULT_DR_VAULT_TIMEOUT_MS: '300' },
      secrets,
    )
    expect(serviceSettings(config)).toEqual({
      listen: { host: '127.0.0.1', port: 9001 },
      api: { token: API_TOKEN, bodyLimit: 65536, logLevel: 'info' },
      tls: undefined,
    })
    expect(vaultSettings(config)).toEqual({
      addr: 'https://127.0.0.1:8200',
      token: VAULT_TOKEN,
      caPem: undefined,
      clientCertPem: undefined,
      clientKeyPem: undefined,
      skipVerify: true,
      timeoutMs: 300,
    })
  })
})
