import { readdirSync, readFileSync } from 'node:fs'

/** Resident set size and its high-water mark, in MB (1 MB = 2^20 bytes), from /proc/<pid>/status. */
export function readRss(pid: number): { rssMb: number; hwmMb: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN)
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 }
  } catch {
    return undefined
  }
}

/** CPU seconds (user + system) a process used so far, from /proc/<pid>/stat (clock ticks of 1/100 s on Linux). */
export function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const utime = Number(fields[11])
    const stime = Number(fields[12])
    return (utime + stime) / 100
  } catch {
    return undefined
  }
}

/**
 * Nanoseconds a process's threads spent on a CPU so far, from /proc/<pid>/task/<tid>/schedstat: finer than the 10 ms
 * ticks of /proc/<pid>/stat, so short runs can be compared per request.
 */
export function readCpuNs(pid: number): number | undefined {
  try {
    let ns = 0
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
    }
    return ns
  } catch {
    return undefined
  }
}

/** Samples a process's RSS every intervalMs until stopped; reports the peak seen and the kernel's VmHWM. */
export function sampleRss(pid: number, intervalMs = 100) {
  let peakMb = 0
  let samples = 0
  let last: { rssMb: number; hwmMb: number } | undefined
  const tick = () => {
    const r = readRss(pid)
    if (r === undefined) return
    last = r
    samples++
    if (r.rssMb > peakMb) peakMb = r.rssMb
  }
  tick()
  const timer = setInterval(tick, intervalMs)
  return {
    stop() {
      tick()
      clearInterval(timer)
      return { peakMb, hwmMb: last?.hwmMb ?? Number.NaN, lastMb: last?.rssMb ?? Number.NaN, samples }
    },
  }
}
