import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeStateFile } from '../state-file.ts'
import { EpochErrors } from './epoch-errors.ts'

export const EPOCH_FILE = 'epoch'

export interface EpochStore {
  /** The highest epoch seen, as kept on disk. */
  current(): number
  /**
   * Admits a call made under `epoch`: refuses one lower than the highest seen (AGENT_ERR_STALE_EPOCH), and writes a
   * higher one to disk (fsync, rename) before resolving, so the call acts only once it is recorded. Calls are
   * serialized: of two concurrent calls with different epochs, the higher is the one kept.
   */
  admit(epoch: number): Promise<void>
  /** The directory the file lives in. */
  dir: string
}

/**
 * The highest fencing epoch this agent has seen, in `<dir>/epoch`: read once at start (a missing file is epoch 0),
 * written durably before the call that raised it acts. The directory is created 0700 on the first write.
 */
export function createEpochStore(dir: string): EpochStore {
  const file = join(dir, EPOCH_FILE)
  let highest = readEpochFile(file)
  let queue: Promise<unknown> = Promise.resolve()

  async function record(epoch: number): Promise<void> {
    try {
      await writeStateFile(dir, EPOCH_FILE, `${epoch}\n`)
    } catch (err) {
      throw EpochErrors.unwritable(`Writing ${file} failed: ${(err as Error).message}`, { cause: err })
    }
  }

  return {
    dir,
    current: () => highest,
    admit(epoch) {
      const turn = queue.then(async () => {
        const stale = staleEpoch(epoch, highest)
        if (stale !== undefined) throw stale
        if (epoch === highest) return
        await record(epoch)
        highest = epoch
      })
      queue = turn.catch(() => undefined)
      return turn
    },
  }
}

function readEpochFile(file: string): number {
  let text: string
  try {
    // Read once, before the agent serves anything.
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw new Error(`Cannot read the fencing epoch file ${file}: ${(err as Error).message}`)
  }
  const trimmed = text.trim()
  if (!/^\d{1,15}$/.test(trimmed)) {
    throw new Error(
      `The fencing epoch file ${file} does not hold a whole number (${JSON.stringify(trimmed.slice(0, 20))}): restore it, or remove it only if no role change has happened since.`,
    )
  }
  return Number(trimmed)
}

/** The fencing rule: a call carrying an epoch lower than the highest seen is refused (AGENT_ERR_STALE_EPOCH). */
export function staleEpoch(epoch: number, highest: number): Error | undefined {
  if (epoch >= highest) return undefined
  return EpochErrors.stale(`The call carries epoch ${epoch}; this agent has seen epoch ${highest}.`)
}
