/** A log line as pino writes it. */
export interface LogLine {
  level: number
  msg?: string
  [key: string]: unknown
}

/** A pino destination (`logStream`) that keeps every line, so tests can search what a service logged. */
export class LogCapture {
  readonly raw: string[] = []

  write(line: string): void {
    this.raw.push(line)
  }

  get text(): string {
    return this.raw.join('')
  }

  get lines(): LogLine[] {
    return this.text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as LogLine)
  }

  clear(): void {
    this.raw.length = 0
  }
}
