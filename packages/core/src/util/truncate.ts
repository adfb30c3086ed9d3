/**
 * `text` cut to at most `max` characters, with a marker saying how many were cut: for anything a caller sent that is
 * echoed in an answer or a log line (an unknown field's name, a URL), so its size stays bounded.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text
  // Never split a surrogate pair: half of one is not a character.
  const end = isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max
  return `${text.slice(0, end)}…[${text.length - end} more characters]`
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff
