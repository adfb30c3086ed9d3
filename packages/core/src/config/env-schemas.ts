import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { printableAscii } from '../util/printable-ascii.ts'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export const portVar = (defaultPort: number) =>
  z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535')
    .default(defaultPort)

export const boolVar = (defaultValue: boolean) =>
  z.stringbool({ error: 'must be true or false (also 1/0, yes/no)' }).default(defaultValue)

export const msVar = (defaultMs: number) =>
  z.coerce.number({ error: 'must be a number of milliseconds' }).int().positive('must be positive').default(defaultMs)

/**
 * A variable holding an http(s) URL. Credentials in it (user:password@) are refused: the address is shown in errors,
 * statuses and checks, so a password in it would be too; the message never echoes the value.
 */
export const httpUrlVar = (error: string) =>
  z.url({ protocol: /^https?$/, error }).refine(
    // zod runs refinements after a failed check too: the URL check has already said what is wrong.
    (value) => !URL.canParse(value) || (new URL(value).username === '' && new URL(value).password === ''),
    'must not carry a user name or password (user:password@): the address is shown in errors and statuses',
  )

/** The PEM blocks a file variable must hold: a certificate (a CA bundle, a chain) or a private key. */
const PEM_BLOCKS = {
  certificate: { block: /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/, begin: 'CERTIFICATE' },
  'private key': {
    block: /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/,
    begin: 'PRIVATE KEY',
  },
} as const

/**
 * A variable naming a PEM file, read at load. A file without a block of the expected kind is refused here: TLS would
 * otherwise ignore a CA bundle that holds none, or fail later with an OpenSSL error that names no variable.
 */
const pemFile = (kind: keyof typeof PEM_BLOCKS) =>
  z.string().transform((path, ctx) => {
    let pem: string
    try {
      pem = readFileSync(path, 'utf8')
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message: `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      })
      return z.NEVER
    }
    const { block, begin } = PEM_BLOCKS[kind]
    if (!block.test(pem)) {
      ctx.addIssue({ code: 'custom', message: `${path} holds no PEM ${kind} (no "-----BEGIN ${begin}-----" block)` })
      return z.NEVER
    }
    return { path, pem }
  })

/** A PEM file of one or more certificates: a CA bundle, or a certificate chain. */
export const pemFileVar = pemFile('certificate')
/** A PEM file of a private key (PKCS#8, or the RSA/EC forms). */
export const pemKeyFileVar = pemFile('private key')

/** Variables every service reads: where it listens, its own API token, logging and limits. */
export const serviceEnvShape = (defaultPort: number) => ({
  VAULT_DR_HOST: z.string().min(1).default('127.0.0.1'),
  VAULT_DR_PORT: portVar(defaultPort),
  VAULT_DR_API_TOKEN: printableAscii(
    z
      .string({ error: 'is required (or VAULT_DR_API_TOKEN_FILE): the bearer token clients must send' })
      .min(16, 'must be at least 16 characters'),
  ),
  VAULT_DR_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  VAULT_DR_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024, 'must be at least 1024 bytes')
    .default(64 * 1024),
  /** Serve HTTPS: the certificate chain and its private key, as PEM files (both or neither). */
  VAULT_DR_TLS_CERT: pemFileVar.optional(),
  VAULT_DR_TLS_KEY: pemKeyFileVar.optional(),
})

/** A Vault CLI variable the agents cannot honour: set, it stops the agent instead of being silently ignored. */
const unsupportedVar = (message: string) => z.undefined({ error: message }).optional()

/** The Vault CLI's own variables, for the agents that talk to one Vault cluster. */
export const vaultEnvShape = {
  VAULT_CAPATH: unsupportedVar(
    'is not supported by the agents: put the CA certificates in one PEM file and set VAULT_CACERT to it',
  ),
  VAULT_NAMESPACE: unsupportedVar(
    "is not supported: DR replication is managed in the root namespace; unset it in the agent's environment",
  ),
  VAULT_TLS_SERVER_NAME: unsupportedVar(
    "is not supported: set VAULT_ADDR to a name that Vault's API certificate carries",
  ),
  VAULT_ADDR: httpUrlVar('must be an http(s) URL such as https://127.0.0.1:8200'),
  // Sent in a header on every call: a character no header can carry would fail each call with the token quoted.
  VAULT_TOKEN: printableAscii(z.string({ error: 'is required (or VAULT_TOKEN_FILE)' }).min(1)),
  VAULT_CACERT: pemFileVar.optional(),
  VAULT_CLIENT_CERT: pemFileVar.optional(),
  VAULT_CLIENT_KEY: pemKeyFileVar.optional(),
  VAULT_SKIP_VERIFY: boolVar(false),
  VAULT_DR_VAULT_TIMEOUT_MS: msVar(10_000),
}

export const SERVICE_SECRET_VARS = ['VAULT_DR_API_TOKEN'] as const
export const VAULT_SECRET_VARS = ['VAULT_TOKEN'] as const

/** Variables both agents read, beyond the Vault connection. */
export const agentEnvShape = {
  /** How long one status read of Vault is shared among callers. */
  VAULT_DR_STATUS_CACHE_MS: z.coerce.number().int().min(0).default(500),
  /** Deadline of each network probe (connect, TLS handshake); never the OS default. */
  VAULT_DR_PROBE_TIMEOUT_MS: msVar(3_000),
  /** How long to wait for Vault to settle after a role change (enable, activate). */
  VAULT_DR_WAIT_TIMEOUT_MS: msVar(30_000),
}

/** Everything an agent reads: where it listens, its token, its Vault, and its agent settings. */
export const agentServiceEnvShape = (defaultPort: number) => ({
  ...serviceEnvShape(defaultPort),
  ...vaultEnvShape,
  ...agentEnvShape,
})
export const AGENT_SECRET_VARS = [...SERVICE_SECRET_VARS, ...VAULT_SECRET_VARS] as const
