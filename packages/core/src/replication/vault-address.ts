import { z } from 'zod'
import { parseVaultAddress, writtenPort } from '../probes/parse-address.ts'

export const DEFAULT_API_PORT = 8200
export const DEFAULT_CLUSTER_PORT = 8201

const hasSpaceOrControl = (text: string) =>
  Array.from(text).some((c) => {
    const code = c.codePointAt(0) ?? 0
    return code <= 0x20 || code === 0x7f
  })

/** Why a Vault-form address is not acceptable, or null when it is; the message never echoes the input. */
export function addressProblem(address: string): string | null {
  // URL parsing drops tabs and line breaks silently; Vault (Go's url.Parse) refuses them, after DR is enabled.
  if (hasSpaceOrControl(address)) return 'must not contain spaces or control characters'
  let url: URL
  try {
    url = new URL(address)
  } catch {
    return 'must be a URL such as https://vault.example.com:8200 (with a valid port 1-65535)'
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'the scheme must be https or http'
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password'
  if (url.hostname === '' || url.hostname === '[]') return 'must name a host'
  if (url.port === '0') return 'the port must be between 1 and 65535'
  if (url.pathname !== '/' && url.pathname !== '') return 'must not have a path (only scheme://host:port)'
  if (url.search !== '' || url.hash !== '' || address.includes('?') || address.includes('#')) {
    return 'must not have a query or fragment'
  }
  return null
}

/** A Vault-form address schema: trimmed, bounded, and refused with the message `problemOf` gives. */
const addressSchema = (problemOf: (value: string) => string | null, description: string, example: string) =>
  z
    .string()
    .trim()
    .min(1)
    .max(2048)
    .superRefine((value, ctx) => {
      const problem = problemOf(value)
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem })
    })
    .describe(description)
    .meta({ examples: [example] })

/**
 * An http(s) address in Vault's form, `scheme://host[:port]`: no path, query or credentials. The port defaults to
 * `defaultPort` when absent (8200 for the API, 8201 for the cluster port).
 */
export const vaultAddress = (defaultPort: number, what: string) =>
  addressSchema(
    addressProblem,
    `${what}, as scheme://host:port (http or https; the port defaults to ${defaultPort})`,
    `https://vault-primary.example.com:${defaultPort}`,
  )

/**
 * An address handed to Vault itself, so written with its port: Vault's HTTP client reads https://host as port 443,
 * while a probe of Vault's addresses would assume 8200 or 8201, and the two would test different ports.
 */
const vaultAddressWithPort = (example: string, what: string) =>
  addressSchema(
    (value) =>
      addressProblem(value) ??
      (writtenPort(value) === undefined
        ? `must name its port, as in ${example}: without one, Vault would use 443 (https) or 80 (http)`
        : null),
    `${what}, as scheme://host:port (http or https, the port written out)`,
    example,
  )

/**
 * The cluster address a DR primary hands to its secondaries (Vault's primary_cluster_addr), e.g. a layer-4 load
 * balancer in front of every node's 8201. Vault keeps the one the primary was enabled with.
 */
export const PrimaryClusterAddr = vaultAddressWithPort(
  'https://vault-dr-lb.dc1.example:8201',
  "The primary's cluster address for secondaries",
)

/** Where a secondary's Vault reaches the primary's API to unwrap its activation token (Vault's primary_api_addr). */
export const PrimaryApiAddr = vaultAddressWithPort(
  'https://vault.dc1.example:8200',
  "The primary's API address as the secondary reaches it",
)

/**
 * The same cluster address, as Vault dials it: host (any case) and port (8201 when none is written); the scheme, a
 * trailing slash or none at all (Vault accepts "10.0.0.1:8201") make no difference.
 */
export function sameClusterAddress(a: string, b: string | null | undefined): boolean {
  if (b === null || b === undefined) return false
  try {
    const [x, y] = [parseVaultAddress(a, DEFAULT_CLUSTER_PORT), parseVaultAddress(b, DEFAULT_CLUSTER_PORT)]
    return x.host.toLowerCase() === y.host.toLowerCase() && x.port === y.port
  } catch {
    return a === b
  }
}
