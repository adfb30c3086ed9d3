import { ConfigError } from '@vault-dr/core'
import type { EtcdSettings } from './etcd-kv.ts'

const SCHEME = 'etcd://'
const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/

export interface EtcdVars {
  store: string
  caPem: string | undefined
  certPem: string | undefined
  keyPem: string | undefined
  prefix: string
  callTimeoutMs: number
}

/** Whether VAULT_DR_STORE names etcd members rather than a SQLite file. */
export const isEtcdStore = (store: string) => store.startsWith(SCHEME)

/**
 * The etcd settings VAULT_DR_STORE=etcd://host:port,host:port,... names, over TLS when VAULT_DR_ETCD_CACERT is set
 * (with VAULT_DR_ETCD_CERT and VAULT_DR_ETCD_KEY for a client certificate); undefined for a SQLite path.
 */
export function etcdSettings(vars: EtcdVars): EtcdSettings | undefined {
  if (!isEtcdStore(vars.store)) return undefined
  const problems: string[] = []
  const hosts = vars.store.slice(SCHEME.length).split(',')
  const bad = hosts.filter((h) => !HOST_PORT.test(h) || Number(h.slice(h.lastIndexOf(':') + 1)) > 65_535)
  if (bad.some((h) => h.includes('@'))) {
    // Not echoed: what comes before the @ is a user name and password.
    problems.push(
      'VAULT_DR_STORE: etcd members are written host:port, without a user name or password: authenticate with a client certificate (VAULT_DR_ETCD_CERT, VAULT_DR_ETCD_KEY)',
    )
  } else if (bad.length > 0) {
    problems.push(
      `VAULT_DR_STORE: ${bad.map((h) => `"${h}"`).join(', ')} is not host:port: write etcd://host1:2379,host2:2379,host3:2379`,
    )
  }
  if ((vars.certPem === undefined) !== (vars.keyPem === undefined)) {
    problems.push('VAULT_DR_ETCD_CERT and VAULT_DR_ETCD_KEY: set both (a client certificate and its key) or neither')
  }
  if (vars.certPem !== undefined && vars.caPem === undefined) {
    problems.push('VAULT_DR_ETCD_CACERT: set it to the CA that signed the etcd members, to use a client certificate')
  }
  if (problems.length > 0) throw new ConfigError(problems)
  const scheme = vars.caPem === undefined ? 'http' : 'https'
  return {
    hosts: hosts.map((h) => `${scheme}://${h}`),
    prefix: vars.prefix,
    caPem: vars.caPem,
    certPem: vars.certPem,
    keyPem: vars.keyPem,
    callTimeoutMs: vars.callTimeoutMs,
  }
}
