/** Major.minor.patch of a Vault version such as "1.17.3+ent"; undefined when it does not parse. */
export function parseVersion(version: string | null | undefined): [number, number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version ?? '')
  return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])]
}

export function compareVersions(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]
}

/**
 * How a DR secondary's Vault version stands to its primary's: below 0 older (it cannot replicate from that primary:
 * fact sheet §7.10, "secondary may run a newer version than primary, never the reverse"), 0 the same, above 0 newer
 * (allowed, but the way back would need an upgrade); undefined when either version is unreadable.
 */
export function secondaryVersionOrder(
  secondary: string | null | undefined,
  primary: string | null | undefined,
): number | undefined {
  const s = parseVersion(secondary)
  const p = parseVersion(primary)
  return s === undefined || p === undefined ? undefined : compareVersions(s, p)
}
