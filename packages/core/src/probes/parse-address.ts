/** A Vault-form address (`https://host:port`) split for probing; the default port follows Vault's conventions. */
export function parseVaultAddress(address: string, defaultPort: number): { host: string; port: number; url: URL } {
  const url = new URL(address)
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  // URL drops a port equal to the scheme's default (https://vault:443), yet that port was asked for explicitly.
  const written = /^[a-z][a-z\d+.-]*:\/\/[^/?#]*:(\d+)(?:[/?#]|$)/i.exec(address)?.[1]
  const port = url.port !== '' ? Number(url.port) : written !== undefined ? Number(written) : defaultPort
  return { host, port, url }
}
