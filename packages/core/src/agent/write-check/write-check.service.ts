import { randomUUID } from 'node:crypto'
import { isCodedError } from '../../errors.ts'
import type { VaultAgent } from '../vault-agent.ts'
import { WRITE_CHECK_POLICY_NAME, type WriteCheckResult } from './write-check.schemas.ts'

const PATH = `sys/policies/acl/${WRITE_CHECK_POLICY_NAME}`

/**
 * Whether the cluster accepts writes now: writes a policy that grants nothing (a fresh marker in a comment, so the
 * write is never a no-op) and reads it back. Sent once, never repeated: a refusal is the answer, not a failure. A DR
 * secondary, a cluster with no active node yet, a sealed or unreachable one answer writable: false with Vault's
 * reason. Each check is one replicated write on a primary, so it is for the moments a role change is verified.
 */
export async function checkClusterWrites(agent: VaultAgent, now: () => number = performance.now.bind(performance)) {
  const marker = randomUUID()
  const policy = `# written by vault-dr to check the cluster accepts writes; grants nothing\n# ${marker}\n`
  const started = now()
  const tookMs = () => Math.round((now() - started) * 10) / 10
  try {
    await agent.vault.write(PATH, { policy })
    const back = await agent.vault.read(PATH)
    const read = String(back.body?.data?.policy ?? back.body?.policy ?? '')
    if (!read.includes(marker)) {
      return result(
        false,
        `${PATH} was written but read back without the marker just written`,
        'READ_BACK_DIFFERS',
        tookMs(),
      )
    }
    return result(true, `wrote and read back ${PATH}`, null, tookMs())
  } catch (err) {
    if (!isCodedError(err)) throw err
    const said = err.upstream?.errors?.filter((e) => e !== '').join('; ')
    const reason = said === undefined || said === '' ? err.message : said
    return result(false, `Vault refused the write: ${reason}`, err.code, tookMs())
  }
}

function result(writable: boolean, detail: string, code: string | null, took_ms: number): WriteCheckResult {
  return { writable, detail, code, took_ms }
}
