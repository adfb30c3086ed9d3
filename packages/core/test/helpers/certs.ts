import 'reflect-metadata' // @peculiar/x509 (through tsyringe) needs the Reflect metadata API
import { KeyObject, type webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'

x509.cryptoProvider.set(globalThis.crypto)

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const

export interface CertPair {
  certPem: string
  keyPem: string
}

export interface TestPki {
  ca: CertPair
  /** A server certificate for localhost and 127.0.0.1, signed by `ca`. */
  server: CertPair
}

function keyPem(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString()
}

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return globalThis.crypto.subtle.generateKey(ALG, true, ['sign', 'verify'])
}

/** A fresh CA and a server certificate it signed, valid from an hour ago for a day; ECDSA P-256. */
export async function createTestPki(opts: { commonName?: string } = {}): Promise<TestPki> {
  const notBefore = new Date(Date.now() - 60 * 60 * 1000)
  const notAfter = new Date(Date.now() + 24 * 60 * 60 * 1000)

  const caKeys = await newKeys()
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=vault-dr test CA',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  })

  const serverKeys = await newKeys()
  const serverCert = await x509.X509CertificateGenerator.create({
    subject: `CN=${opts.commonName ?? 'localhost'}`,
    issuer: caCert.subject,
    notBefore,
    notAfter,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(serverKeys.publicKey),
    ],
  })

  return {
    ca: { certPem: caCert.toString('pem'), keyPem: keyPem(caKeys.privateKey) },
    server: { certPem: serverCert.toString('pem'), keyPem: keyPem(serverKeys.privateKey) },
  }
}
