/**
 * A transport error about a header it could not send quotes the header's value (undici's `Headers.set: "<value>" is an
 * invalid header value`), a token: the text without it, up to the last quote before that phrase (a value may hold
 * quotes of its own).
 */
export function redactHeaderValues(text: string): string {
  return text
    .replace(/".*" is an invalid header value/gis, '"<redacted>" is an invalid header value')
    .replace(/"Bearer [^"]*"/gi, '"Bearer <redacted>"')
    .replace(/Bearer \S+/gi, 'Bearer <redacted>')
}
