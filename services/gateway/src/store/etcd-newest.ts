import type { EtcdKv, Kv } from './etcd-kv.ts'

/** The created_at segment of an index key `<folder><created_at>/<id>`, as stored (encoded) and as text. */
function createdAt(key: string, folder: string): { segment: string; at: string } {
  const segment = key.slice(folder.length).split('/')[0] ?? ''
  return { segment, at: decodeURIComponent(segment) }
}

/**
 * The index keys naming the newest `limit` records (0: all) of several folders laid out `<folder><created_at>/<id>`,
 * read at one revision, which it answers too, to read the records at that same revision. Each folder gives its newest
 * `limit` keys; those created at the same moment as the last one kept are all read, since key order breaks that tie
 * by id, not by creation. So it answers more than `limit` keys when there are ties: the caller orders the records
 * (created_at, then creation) and cuts.
 */
export async function newestEntries(
  kv: EtcdKv,
  folders: string[],
  limit: number,
): Promise<{ revision: number; kvs: Kv[] }> {
  const first = await kv.newestUnder(folders, limit)
  const sorted = first.kvs
    .flatMap((kvs, i) => kvs.map((entry) => ({ kv: entry, ...createdAt(entry.key, folders[i] ?? '') })))
    .sort((a, b) => b.at.localeCompare(a.at))
  const boundary = sorted[limit - 1]
  if (boundary === undefined) return { revision: first.revision, kvs: sorted.map((e) => e.kv) }
  const kept = sorted.filter((e) => e.at > boundary.at).map((e) => e.kv)
  const tied = await kv.newestUnder(
    folders.map((folder) => `${folder}${boundary.segment}/`),
    0,
    first.revision,
  )
  return { revision: first.revision, kvs: [...kept, ...tied.kvs.flat()] }
}
