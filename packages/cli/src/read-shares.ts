import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'

/**
 * Key shares, one per line, from the terminal without echo (raw mode; Ctrl-C ends the reading) or from a pipe:
 * never from argv or the environment. Yields each non-empty line, trimmed; ends at end of input.
 */
export async function* readShares(stdin: Readable, prompt: (n: number) => void): AsyncGenerator<string> {
  const tty = stdin as Readable & { isTTY?: boolean; setRawMode?: (on: boolean) => void }
  if (tty.isTTY === true && tty.setRawMode !== undefined) {
    yield* readFromTerminal(tty as Readable & { setRawMode: (on: boolean) => void }, prompt)
    return
  }
  let n = 0
  prompt(++n)
  for await (const line of createInterface({ input: stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
    const share = line.trim()
    if (share === '') continue
    yield share
    prompt(++n)
  }
}

async function* readFromTerminal(stdin: Readable & { setRawMode: (on: boolean) => void }, prompt: (n: number) => void) {
  stdin.setRawMode(true)
  stdin.setEncoding('utf8')
  try {
    let n = 0
    let current = ''
    prompt(++n)
    for await (const chunk of stdin) {
      for (const ch of String(chunk)) {
        if (ch === '\u0003' || ch === '\u0004') return // Ctrl-C, Ctrl-D
        if (ch === '\r' || ch === '\n') {
          process.stderr.write('\n')
          if (current.trim() !== '') {
            yield current.trim()
            prompt(++n)
          }
          current = ''
        } else if (ch === '\u007f') current = current.slice(0, -1)
        else current += ch
      }
    }
  } finally {
    stdin.setRawMode(false)
    stdin.pause()
  }
}
