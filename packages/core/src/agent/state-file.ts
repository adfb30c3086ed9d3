import { mkdir, open, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'

/** Syncs a directory, so a rename or unlink in it survives a crash of the machine. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Writes `<dir>/<name>` durably: a temporary file written and fsynced, renamed over the old one, the directory
 * fsynced. A crash leaves the old content or the new, never a mix. The directory is created 0700 when missing.
 */
export async function writeStateFile(dir: string, name: string, text: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, name)
  const tmp = `${file}.${process.pid}.tmp`
  const handle = await open(tmp, 'w', 0o600)
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(tmp, file)
  await syncDir(dir)
}

/** Removes `<dir>/<name>` durably; a file already gone is fine. */
export async function removeStateFile(dir: string, name: string): Promise<void> {
  try {
    await unlink(join(dir, name))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  await syncDir(dir)
}
