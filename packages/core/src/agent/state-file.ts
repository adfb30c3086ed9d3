import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

/*
 * Synchronous on purpose: a state file is written before the call that needs it acts (a fencing epoch, a fence), a
 * few times per role change at most, and its nine file system calls made one after the other cost half what as many
 * trips through the thread pool do (about 0.5 ms against 1 ms here, more on a busy machine).
 */

/** Syncs a directory, so a rename or unlink in it survives a crash of the machine. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/**
 * Writes `<dir>/<name>` durably: a temporary file written and fsynced, renamed over the old one, the directory
 * fsynced. A crash leaves the old content or the new, never a mix. The directory is created 0700 when missing, and
 * each one created is fsynced into its parent.
 */
export async function writeStateFile(dir: string, name: string, text: string): Promise<void> {
  // Directories it had to create are synced into their parents too (from the first one made down to `dir`), or a
  // crash of the machine could lose them and the state file with them.
  const target = resolve(dir)
  const created = mkdirSync(target, { recursive: true, mode: 0o700 })
  if (created !== undefined) {
    // mkdirSync answers the first directory it made, an ancestor of `target` (both resolved, so no `..` between).
    const top = dirname(resolve(created))
    for (let d = target; d !== top && d !== dirname(d); d = dirname(d)) syncDir(dirname(d))
  }
  const file = join(target, name)
  const tmp = `${file}.${process.pid}.tmp`
  const fd = openSync(tmp, 'w', 0o600)
  try {
    writeFileSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, file)
  syncDir(target)
}

/** Removes `<dir>/<name>` durably; a file already gone is fine. */
export async function removeStateFile(dir: string, name: string): Promise<void> {
  try {
    unlinkSync(join(resolve(dir), name))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  syncDir(resolve(dir))
}
