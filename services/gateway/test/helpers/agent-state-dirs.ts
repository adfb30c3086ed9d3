import { mkdtempSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A fresh state folder for each agent of a test (the fencing epoch it has seen), removed by `remove`: without it the
 * agents would keep theirs in the working directory, shared by every test and every run.
 */
export function makeAgentStateDirs() {
  const root = mkdtempSync(join(tmpdir(), 'vault-dr-agent-state-'))
  return {
    primary: join(root, 'primary'),
    secondary: join(root, 'secondary'),
    remove: () => rm(root, { recursive: true, force: true }),
  }
}
