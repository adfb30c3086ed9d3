/** `inner` with some of its methods replaced (each given the original); every other method stays bound to `inner`. */
export function storeWith<T extends object>(
  inner: T,
  replaced: { [K in keyof T]?: T[K] extends (...args: infer A) => infer R ? (original: T[K], ...args: A) => R : never },
): T {
  return new Proxy(inner, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      const original = value.bind(target)
      const replacement = replaced[prop as keyof T] as ((original: unknown, ...args: unknown[]) => unknown) | undefined
      return replacement === undefined ? original : (...args: unknown[]) => replacement(original, ...args)
    },
  })
}
