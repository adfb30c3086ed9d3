import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

export interface ProfileSummary {
  file: string
  wallMs: number
  busyMs: number
  /** Self time by area: a package (node_modules/<pkg>), one of ours (services/x, packages/x), node internals, GC. */
  areas: Array<{ area: string; ms: number; pct: number }>
  /** The hottest functions by self time. */
  functions: Array<{ fn: string; where: string; ms: number; pct: number }>
}

function areaOf(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'GC'
  if (fn === '(program)') return '(program: native, outside JS)'
  if (url === '') return fn.startsWith('(') ? fn : '(native)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1]!
  const ours = /\/(services|packages|bench)\/([^/]+)\//.exec(url)
  if (ours) return `${ours[1]}/${ours[2]}`
  if (url.startsWith('node:')) return 'node internals'
  return url
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\/.*?\/(node_modules|services|packages|bench)\//, '$1/')
}

/** Self time per function and per area of one .cpuprofile (V8's --cpu-prof output). */
export function summarizeProfile(file: string, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  for (const [i, id] of profile.samples.entries()) {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
  }
  const wallMs = (profile.endTime - profile.startTime) / 1000
  let idleMs = 0
  const fns = new Map<string, { fn: string; where: string; ms: number }>()
  const areas = new Map<string, number>()
  for (const [id, ms] of self) {
    const frame = byId.get(id)?.callFrame
    if (frame === undefined) continue
    if (frame.functionName === '(idle)') {
      idleMs += ms
      continue
    }
    const area = areaOf(frame.url, frame.functionName)
    areas.set(area, (areas.get(area) ?? 0) + ms)
    const where = frame.url === '' ? '' : `${shortUrl(frame.url)}:${frame.lineNumber + 1}`
    const key = `${frame.functionName}@${where}`
    const entry = fns.get(key) ?? { fn: frame.functionName || '(anonymous)', where, ms: 0 }
    entry.ms += ms
    fns.set(key, entry)
  }
  const busyMs = wallMs - idleMs
  const pct = (ms: number) => Math.round((ms / Math.max(busyMs, 1)) * 1000) / 10
  return {
    file,
    wallMs: Math.round(wallMs),
    busyMs: Math.round(busyMs),
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area, ms]) => ({ area, ms: Math.round(ms), pct: pct(ms) })),
    functions: [...fns.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((f) => ({ ...f, ms: Math.round(f.ms), pct: pct(f.ms) })),
  }
}

/** Summaries of every profile in a folder (one per process exit). */
export function summarizeProfiles(dir: string, top = 12): ProfileSummary[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => summarizeProfile(join(dir, f), top))
  } catch {
    return []
  }
}

/** One line for the notes: busy share of the wall time, then the top areas and functions. */
export function profileNote(label: string, s: ProfileSummary, n = 6): string {
  const areas = s.areas
    .slice(0, n)
    .map((a) => `${a.area} ${a.pct} %`)
    .join(', ')
  const fns = s.functions
    .slice(0, n)
    .map((f) => `${f.fn} (${f.where || 'native'}) ${f.pct} %`)
    .join('; ')
  return `${label} CPU profile: busy ${s.busyMs} ms of ${s.wallMs} ms wall; by area: ${areas}; hottest functions: ${fns}`
}
