/** A Vault-form address (`https://host:port`) split for probing; the default port follows Vault's conventions. */
export function parseVaultAddress(address: string, defaultPort: number): { host: string; port: number; url: URL } {
  // Vault ignores the scheme of cluster_addr, and some configurations leave it out ("10.0.0.1:8201").
  const withScheme = /^[a-z][a-z\d+.-]*:\/\//i.test(address) ? address : `https://${address}`
  if (!URL.canParse(withScheme)) throw new TypeError(`not an address: ${JSON.stringify(address)}`)
  const url = new URL(withScheme)
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  if (host === '') throw new TypeError(`no host in the address ${JSON.stringify(address)}`)
  // URL drops a port equal to the scheme's default (https://vault:443), yet that port was asked for explicitly.
  const port = url.port !== '' ? Number(url.port) : (writtenPort(withScheme) ?? defaultPort)
  return { host, port, url }
}

/** The port as written in `scheme://host:port`, even the scheme's default (which URL drops); undefined when none. */
export function writtenPort(address: string): number | undefined {
  const port = /^[a-z][a-z\d+.-]*:\/\/[^/?#]*:(\d+)(?:[/?#]|$)/i.exec(address)?.[1]
  return port === undefined ? undefined : Number(port)
}
