import { readFile } from 'node:fs/promises'
import { probeTls } from '../../probes/tls-probe.ts'
import { SecondaryErrors } from '../secondary-errors.ts'
import { untrustedFix } from './diagnoses.ts'
import { check, type Target } from './probe-checks.ts'
import type { ProbeCheck } from './probes.schemas.ts'

/**
 * Whether the secondary's Vault will trust the primary's API certificate when it unwraps the activation token: the
 * certificate at the unwrap address, verified against the CA activation hands Vault (VAULT_DR_ACTIVATION_CA_FILE as
 * ca_file), or against the system roots when there is none, as Vault does. Found here, a missing or wrong CA costs
 * nothing; found by activation, the primary is enabled and a token spent already.
 */
export async function activationTrustCheck(target: Target, activationCaFile: string | undefined): Promise<ProbeCheck> {
  const done = (status: ProbeCheck['status'], code: ProbeCheck['code'], detail: string, fix: string | null, ms = 0) =>
    check('activation_ca', target, status, code, detail, fix, ms)
  let caPem: string | undefined
  if (activationCaFile !== undefined) {
    try {
      caPem = await readFile(activationCaFile, 'utf8')
    } catch (err) {
      return done(
        'warn',
        'ACTIVATION_CA_NOT_CHECKED',
        `VAULT_DR_ACTIVATION_CA_FILE ${activationCaFile} cannot be read from this agent (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): it is a path on the secondary's Vault servers, so whether it verifies ${target.label} was not checked`,
        `Check on every secondary Vault node that ${activationCaFile} holds the CA of the primary's API certificate (openssl s_client -connect ${target.label} -CAfile ${activationCaFile}), or run this agent where that path holds the same file.`,
      )
    }
  }
  const tls = await probeTls({ host: target.host, port: target.port, timeoutMs: target.timeoutMs, caPem })
  if (!tls.ok) {
    return done(
      'warn',
      'ACTIVATION_CA_NOT_CHECKED',
      `a second TLS handshake with ${target.label} failed: ${tls.failure.detail}`,
      'Probe again; api_tls reached the same address a moment ago.',
      tls.latency_ms,
    )
  }
  const cert = `the certificate of ${target.label} (CN ${tls.subject || '-'})`
  if (tls.authorized) {
    const against =
      activationCaFile === undefined
        ? 'the system roots, which the secondary’s Vault uses with no ca_file'
        : `the CA in VAULT_DR_ACTIVATION_CA_FILE ${activationCaFile}`
    return done('pass', 'OK', `${cert} verifies against ${against}`, null, tls.latency_ms)
  }
  const reason = tls.authorization_error ?? 'unknown reason'
  if (reason.includes('ALTNAME') || reason.includes('EXPIRED')) {
    return done(
      'fail',
      'TLS_UNTRUSTED',
      `${cert} does not verify: ${reason}`,
      untrustedFix(reason, target.host),
      tls.latency_ms,
    )
  }
  if (activationCaFile === undefined) {
    return done(
      'fail',
      'ACTIVATION_CA_MISSING',
      `VAULT_DR_ACTIVATION_CA_FILE is not set, so the secondary's Vault will check ${cert} against its system roots, which do not verify it (${reason}): activation would fail after the primary is enabled and a token minted`,
      SecondaryErrors.primaryApiUntrusted('').fix ?? null,
      tls.latency_ms,
    )
  }
  return done(
    'fail',
    'ACTIVATION_CA_UNTRUSTED',
    `the CA in VAULT_DR_ACTIVATION_CA_FILE ${activationCaFile} does not verify ${cert} (${reason}): the secondary's Vault would refuse it when it unwraps the activation token`,
    `Put the PEM of the CA that signed the primary's API certificate (the one VAULT_DR_PRIMARY_CACERT holds) at ${activationCaFile} on every secondary Vault node, or point VAULT_DR_ACTIVATION_CA_FILE at the file that holds it.`,
    tls.latency_ms,
  )
}
