/** Edit distance (insert, delete, substitute, swap two neighbours) between two words. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({length: a.length + 1}, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1)
      rows[i]![j] = best
    }
  }
  return rows[a.length]![b.length]!
}

/** The known word closest to `word`, when it is close enough to be a typo of it (or `word` is its prefix). */
export function closest(word: string, known: readonly string[]): string | undefined {
  const lower = word.toLowerCase()
  let best: {word: string; distance: number} | undefined
  for (const candidate of known) {
    const distance = candidate.startsWith(lower) && lower.length >= 2 ? 0.5 : editDistance(lower, candidate)
    if (best === undefined || distance < best.distance) best = {word: candidate, distance}
  }
  const limit = Math.max(1, Math.floor(word.length / 3))
  return best !== undefined && best.distance <= limit ? best.word : undefined
}
