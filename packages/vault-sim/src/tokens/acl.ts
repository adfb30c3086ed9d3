// A small subset of Vault's ACL: HCL `path "..." { capabilities = [...] }` blocks, exact paths,
// a trailing `*` glob and `+` single-segment wildcards. Enough for the tutorial-style DR policies.

export type Capability = 'create' | 'read' | 'update' | 'delete' | 'list' | 'sudo' | 'deny' | 'patch'

export interface PathRule {
  path: string
  capabilities: Capability[]
}

const blockPattern = /path\s+"([^"]+)"\s*\{([^}]*)\}/g
const capabilitiesPattern = /capabilities\s*=\s*\[([^\]]*)\]/

export function parsePolicy(hcl: string): PathRule[] {
  const rules: PathRule[] = []
  for (const match of hcl.matchAll(blockPattern)) {
    const [, path = '', body = ''] = match
    const list = capabilitiesPattern.exec(body)?.[1] ?? ''
    const capabilities = [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1] as Capability)
    rules.push({ path, capabilities })
  }
  return rules
}

/** The rule Vault would pick: an exact match wins, otherwise the longest matching pattern. */
export function matchRule(rules: PathRule[], path: string): PathRule | undefined {
  let best: PathRule | undefined
  for (const rule of rules) {
    if (rule.path === path) return rule
    if (patternMatches(rule.path, path) && (!best || rule.path.length > best.path.length)) best = rule
  }
  return best
}

function patternMatches(pattern: string, path: string): boolean {
  const glob = pattern.endsWith('*')
  const fixed = glob ? pattern.slice(0, -1) : pattern
  const patternParts = fixed.split('/')
  const pathParts = path.split('/')
  if (!glob && patternParts.length !== pathParts.length) return false
  if (glob && pathParts.length < patternParts.length) return false
  return patternParts.every((part, i) => {
    const actual = pathParts[i] ?? ''
    if (part === '+') return true
    const isLast = i === patternParts.length - 1
    return glob && isLast ? actual.startsWith(part) : actual === part
  })
}

/** Union of the capabilities granted on `path` by every rule set; `deny` anywhere wins. */
export function capabilitiesOn(ruleSets: PathRule[][], path: string): Set<Capability> {
  const granted = new Set<Capability>()
  for (const rules of ruleSets) {
    const rule = matchRule(rules, path)
    if (!rule) continue
    if (rule.capabilities.includes('deny')) return new Set(['deny'])
    for (const cap of rule.capabilities) granted.add(cap)
  }
  return granted
}
