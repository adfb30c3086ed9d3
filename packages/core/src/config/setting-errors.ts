import { resolve, sep } from 'node:path'
import { createSecureContext } from 'node:tls'
import { ConfigError, type Env } from './load-config.ts'

/** What a service was started with, as far as its start can fail on it. */
export interface StartSettings {
  listen: { host: string; port: number }
  tls?: { certPem: string; keyPem: string } | undefined
}

type SystemError = Error & { code?: string; syscall?: string; path?: string; hostname?: string; reason?: string }

const FS_REASONS: Record<string, string> = {
  EEXIST: 'is not a directory',
  ENOTDIR: 'is not a directory',
  ENOENT: 'does not exist',
  EISDIR: 'is a directory',
  EACCES: 'is not accessible: permission denied',
  EPERM: 'is not accessible: operation not permitted',
  EROFS: 'is on a read-only file system',
}

/**
 * The ConfigError naming the variable behind an error met while building the app or listening, or undefined when
 * the error is not a setting's fault (a bug keeps its stack). Settings that pass their schema can still fail here:
 * a certificate OpenSSL cannot use, a host that does not resolve, a port in use, a path that cannot be created.
 */
export function configErrorOf(
  err: unknown,
  phase: 'build' | 'listen',
  settings: StartSettings,
  env: Env,
): ConfigError | undefined {
  if (err instanceof ConfigError) return err
  if (!(err instanceof Error)) return undefined
  const e = err as SystemError
  const problem =
    phase === 'listen' ? listenProblem(e, settings.listen) : (tlsProblem(e, settings, env) ?? fsProblem(e, env))
  return problem === undefined ? undefined : new ConfigError([problem], { cause: err })
}

function listenProblem(e: SystemError, { host, port }: StartSettings['listen']): string | undefined {
  switch (e.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return `VAULT_DR_HOST: ${host} is neither an IP address nor a host name that resolves (${e.code})`
    case 'EADDRNOTAVAIL':
      return `VAULT_DR_HOST: ${host} is not an address of this machine (${e.code})`
    case 'EADDRINUSE':
      return `VAULT_DR_PORT: ${host}:${port} is already in use (${e.code}); stop the other process or choose another port`
    case 'EACCES':
    case 'EPERM':
      return `VAULT_DR_PORT: not allowed to listen on ${host}:${port} (${e.code}); ports below 1024 need privileges`
    case 'EAFNOSUPPORT':
      return `VAULT_DR_HOST: this machine cannot listen on ${host} (${e.code})`
    default:
      return undefined
  }
}

/** OpenSSL refused the HTTPS certificate or key: says which one, or that they do not belong together. */
function tlsProblem(e: SystemError, settings: StartSettings, env: Env): string | undefined {
  if (settings.tls === undefined || !(e.code?.startsWith('ERR_OSSL') || e.reason !== undefined)) return undefined
  const reason = e.message.replace(/^error:[0-9A-F]+:/, '')
  const certFile = env.VAULT_DR_TLS_CERT ?? '(VAULT_DR_TLS_CERT)'
  const keyFile = env.VAULT_DR_TLS_KEY ?? '(VAULT_DR_TLS_KEY)'
  const { certPem, keyPem } = settings.tls
  if (fails(() => createSecureContext({ cert: certPem }))) {
    return `VAULT_DR_TLS_CERT: ${certFile} holds no usable certificate (${reason})`
  }
  if (fails(() => createSecureContext({ key: keyPem }))) {
    return `VAULT_DR_TLS_KEY: ${keyFile} holds no usable private key (${reason})`
  }
  if (fails(() => createSecureContext({ cert: certPem, key: keyPem }))) {
    return `VAULT_DR_TLS_CERT and VAULT_DR_TLS_KEY: ${keyFile} is not the key of the certificate in ${certFile} (${reason})`
  }
  return undefined
}

/** A file system error on a path some variable names (the path itself, or a folder on the way to it). */
function fsProblem(e: SystemError, env: Env): string | undefined {
  if (e.path === undefined || e.syscall === undefined || e.code === undefined) return undefined
  const failed = resolve(e.path)
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('VAULT_') || value === undefined || value === '') continue
    const named = resolve(value)
    // Only a value that is a path (not a URL, a level, a host...) lies in the folder that failed.
    const isPath = value.includes(sep) && !value.includes('://')
    if (named !== failed && !(isPath && named.startsWith(failed + sep))) continue
    const subject = named === failed ? 'it' : e.path
    return `${name}: cannot use ${value}: ${subject} ${FS_REASONS[e.code] ?? `failed ${e.syscall}`} (${e.code})`
  }
  return undefined
}

function fails(fn: () => unknown): boolean {
  try {
    fn()
    return false
  } catch {
    return true
  }
}
