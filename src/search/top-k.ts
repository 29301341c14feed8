/**
 * Selects the k best entries without sorting everything: a bounded binary heap whose root is the worst
 * kept entry. `better(a, b)` says whether entry a ranks above entry b (entries are indexes into the caller's arrays).
 * `keys`, when given, must agree with `better` (better(a, b) implies keys[a] ≥ keys[b], as scores do for
 * relevance): an entry whose key is below the worst kept one's is passed over without calling `better`,
 * which is most entries of a long list (a common word matches 100k+ products at 1M).
 */
export function topK(
  count: number,
  k: number,
  better: (a: number, b: number) => boolean,
  keys?: ArrayLike<number>,
): number[] {
  if (k <= 0 || count === 0) return [];
  const heap: number[] = [];
  const worseAt = (i: number, j: number): boolean => better(heap[j]!, heap[i]!);
  const siftDown = (start: number): void => {
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let worst = i;
      if (left < heap.length && worseAt(left, worst)) worst = left;
      if (right < heap.length && worseAt(right, worst)) worst = right;
      if (worst === i) return;
      [heap[i], heap[worst]] = [heap[worst]!, heap[i]!];
      i = worst;
    }
  };
  for (let entry = 0; entry < count; entry++) {
    if (heap.length < k) {
      heap.push(entry);
      let i = heap.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!worseAt(i, parent)) break;
        [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
        i = parent;
      }
    } else if (keys !== undefined && keys[entry]! < keys[heap[0]!]!) {
      continue;
    } else if (better(entry, heap[0]!)) {
      heap[0] = entry;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0));
}
