// Compares a vault-sim answer with a real published payload by keys, JSON types and enumerations; values that are
// per-cluster (ids, addresses, times, counters) may differ.

const modes = ['primary', 'secondary', 'bootstrapping', 'disabled']
// HashiCorp's UI (cluster-states.js) knows these states and connection states.
const states = [
  'running',
  'ready',
  'stream-wals',
  'merkle-diff',
  'connecting',
  'merkle-sync',
  'idle',
  'transient_failure',
  'shutdown',
]

const enumerations: Record<string, string[]> = {
  mode: modes,
  replication_dr_mode: modes,
  replication_performance_mode: modes,
  state: states,
  connection_state: states,
  connection_status: ['connected', 'disconnected'],
  tree_type: ['replicated', 'local'],
  type: ['shamir', 'awskms', 'transit'],
  storage_type: ['raft', 'consul', 'inmem', 'file'],
}

export interface ShapeOptions {
  /** The same key set (a payload of the emulated version), not just the payload's keys present (an older one). */
  exact?: boolean
  /** Dotted paths left out of the comparison. */
  ignore?: string[]
}

function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

/** Every difference found, as readable lines; empty when the shapes agree. */
export function shapeMismatches(expected: unknown, actual: unknown, options: ShapeOptions = {}, path = ''): string[] {
  if (options.ignore?.includes(path)) return []
  const [want, got] = [jsonType(expected), jsonType(actual)]
  if (want !== got) return [`${path || '(root)'}: ${want} in the payload, ${got} in vault-sim`]
  const key = path.split('.').at(-1) ?? ''
  // license.state is the license's own enumeration (autoloaded, …), not a replication state.
  const enumerated = path.startsWith('license.') ? undefined : enumerations[key]
  if (typeof actual === 'string' && enumerated && !enumerated.includes(actual)) {
    return [`${path}: ${JSON.stringify(actual)} is not one of ${enumerated.join(', ')}`]
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length === 0 || actual.length === 0) return []
    return shapeMismatches(expected[0], actual[0], options, `${path}[0]`)
  }
  if (want !== 'object') return []
  const e = expected as Record<string, unknown>
  const a = actual as Record<string, unknown>
  const problems: string[] = []
  const at = (k: string) => (path ? `${path}.${k}` : k)
  for (const k of Object.keys(e)) {
    if (options.ignore?.includes(at(k))) continue
    if (!(k in a)) problems.push(`${at(k)}: missing in vault-sim`)
    else problems.push(...shapeMismatches(e[k], a[k], options, at(k)))
  }
  if (options.exact) {
    for (const k of Object.keys(a))
      if (!(k in e) && !options.ignore?.includes(at(k))) problems.push(`${at(k)}: not in the payload`)
  }
  return problems
}
