import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { removeStateFile, writeStateFile } from '../state-file.ts'
import { FenceRecord } from './fence.schemas.ts'
import { FenceErrors } from './fence-errors.ts'

export const FENCE_FILE = 'fence'

export interface FenceStore {
  /** The fence as kept on disk; undefined when the cluster is not fenced. */
  current(): FenceRecord | undefined
  /** Writes the record durably (fsync, rename) before resolving: whoever acts on it acts only once it is recorded. */
  save(record: FenceRecord): Promise<void>
  clear(): Promise<void>
}

/** The fence record in `<dir>/fence` (JSON), read once at start: a fenced agent stays fenced across restarts. */
export function createFenceStore(dir: string): FenceStore {
  const file = join(dir, FENCE_FILE)
  let record = readFenceFile(file)
  const unwritable = (err: unknown) =>
    FenceErrors.unwritable(`Writing ${file} failed: ${(err as Error).message}`, { cause: err })
  return {
    current: () => record,
    async save(next) {
      try {
        await writeStateFile(dir, FENCE_FILE, `${JSON.stringify(next)}\n`)
      } catch (err) {
        throw unwritable(err)
      }
      record = next
    },
    async clear() {
      try {
        await removeStateFile(dir, FENCE_FILE)
      } catch (err) {
        throw unwritable(err)
      }
      record = undefined
    },
  }
}

function readFenceFile(file: string): FenceRecord | undefined {
  let text: string
  try {
    // Read once, before the agent serves anything.
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new Error(`Cannot read the fence file ${file}: ${(err as Error).message}`)
  }
  let parsed: ReturnType<typeof FenceRecord.safeParse>
  try {
    parsed = FenceRecord.safeParse(JSON.parse(text))
  } catch {
    parsed = FenceRecord.safeParse(undefined)
  }
  if (!parsed.success) {
    // Refusing to start is the safe side: guessing "not fenced" could let an old primary take writes again.
    throw new Error(
      `The fence file ${file} does not hold a fence record: restore it, or remove it only once the cluster is known not to be a DR primary beside another.`,
    )
  }
  return parsed.data
}
