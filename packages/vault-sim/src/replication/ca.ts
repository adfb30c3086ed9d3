import 'reflect-metadata' // @peculiar/x509 (through tsyringe) needs the Reflect metadata API
import { randomBytes, randomUUID, type webcrypto, X509Certificate } from 'node:crypto'
import { isIP } from 'node:net'
import * as x509 from '@peculiar/x509'

x509.cryptoProvider.set(globalThis.crypto)

const p521 = { name: 'ECDSA', namedCurve: 'P-521', hash: 'SHA-512' } as const
// Vault's cluster certificates last 262980 h (~30 years).
const validityMs = 262_980 * 3600 * 1000

/** A certificate with its private key, both PEM, ready for node:tls. */
export interface CertifiedKey {
  certPem: string
  keyPem: string
  /** Colon-separated upper-case SHA-256, the form of node's `getPeerCertificate().fingerprint256`. */
  fingerprint256: string
}

export interface CertificateAuthority extends CertifiedKey {
  issue(request: LeafRequest): Promise<CertifiedKey>
}

export interface LeafRequest {
  commonName: string
  /** DNS names and IP addresses for the subjectAltName extension. */
  altNames?: string[] | undefined
  usage: 'client' | 'server' | 'both'
}

/** The cluster's own listener certificate: self-signed, CA:true, CN `fw-<uuid>`, like Vault's local cluster cert. */
export async function createClusterCertificate(): Promise<CertifiedKey> {
  const name = `fw-${randomUUID()}`
  return (await selfSigned(name, [name])).pair
}

/** A self-signed P-521 CA (the DR primary's replication CA, or the CA behind a TLS API listener). */
export async function createCertificateAuthority(commonName: string): Promise<CertificateAuthority> {
  const { pair, keys, cert } = await selfSigned(commonName, [])
  return {
    ...pair,
    issue: (request) => issueLeaf(request, cert, keys.privateKey),
  }
}

async function selfSigned(commonName: string, altNames: string[]) {
  const keys = await generateKeys()
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
    ...validity(),
    signingAlgorithm: p521,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(caUsages, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ...(altNames.length > 0 ? [altNamesExtension(altNames)] : []),
    ],
  })
  return { keys, cert, pair: await toCertifiedKey(cert, keys.privateKey) }
}

async function issueLeaf(
  request: LeafRequest,
  issuer: x509.X509Certificate,
  issuerKey: webcrypto.CryptoKey,
): Promise<CertifiedKey> {
  const keys = await generateKeys()
  const purposes = {
    client: [x509.ExtendedKeyUsage.clientAuth],
    server: [x509.ExtendedKeyUsage.serverAuth],
    both: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
  }[request.usage]
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${request.commonName}`,
    issuer: issuer.subject,
    ...validity(),
    signingAlgorithm: p521,
    publicKey: keys.publicKey,
    signingKey: issuerKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(leafUsages, true),
      new x509.ExtendedKeyUsageExtension(purposes),
      await x509.AuthorityKeyIdentifierExtension.create(issuer),
      ...(request.altNames?.length ? [altNamesExtension(request.altNames)] : []),
    ],
  })
  return toCertifiedKey(cert, keys.privateKey)
}

const leafUsages =
  x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyAgreement
const caUsages = leafUsages | x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign

function altNamesExtension(names: string[]) {
  return new x509.SubjectAlternativeNameExtension(
    names.map((value) => (isIP(value) ? { type: 'ip' as const, value } : { type: 'dns' as const, value })),
  )
}

function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return globalThis.crypto.subtle.generateKey(p521, true, ['sign', 'verify'])
}

function validity() {
  // Backdated a minute so a freshly issued certificate is valid on a peer whose clock is slightly behind.
  const now = Date.now()
  return { notBefore: new Date(now - 60_000), notAfter: new Date(now + validityMs) }
}

function serialNumber(): string {
  // Positive 16-byte serial: clear the top bit so DER does not read it as negative.
  const bytes = randomBytes(16)
  bytes[0] = (bytes[0] ?? 0) & 0x7f
  return bytes.toString('hex')
}

async function toCertifiedKey(cert: x509.X509Certificate, privateKey: webcrypto.CryptoKey): Promise<CertifiedKey> {
  // Trailing newline so PEMs can be concatenated into bundles.
  const certPem = `${cert.toString('pem').trimEnd()}\n`
  const pkcs8 = Buffer.from(await globalThis.crypto.subtle.exportKey('pkcs8', privateKey))
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n').trimEnd()}\n-----END PRIVATE KEY-----\n`
  return { certPem, keyPem, fingerprint256: new X509Certificate(certPem).fingerprint256 }
}
