/** A Vault-form address (`https://host:port`) split for probing; the default port follows Vault's conventions. */
export function parseVaultAddress(address: string, defaultPort: number): { host: string; port: number; url: URL } {
  const url = new URL(address)
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  return { host, port: url.port === '' ? defaultPort : Number(url.port), url }
}
