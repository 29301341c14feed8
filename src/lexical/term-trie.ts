import { grow } from './growable.ts';

/**
 * A trie over the vocabulary's surface forms (unstemmed words, numbers), kept in flat typed arrays.
 * It serves the two expansions search-as-you-type needs: prefix completion (breadth first, so the
 * shortest completions come first) and typo tolerance (Damerau–Levenshtein walk that prunes a branch
 * as soon as every cell of its row exceeds the allowed distance).
 */
export class TermTrie {
  private chars = new Uint16Array(1024);
  private firstChild = new Int32Array(1024).fill(-1);
  private nextSibling = new Int32Array(1024).fill(-1);
  private values = new Int32Array(1024).fill(-1);
  private nodeCount = 1; // node 0 is the root

  get size(): number {
    return this.nodeCount;
  }

  insert(word: string, value: number): void {
    let node = 0;
    for (let i = 0; i < word.length; i++) {
      const code = word.charCodeAt(i);
      let child = this.firstChild[node]!;
      let previous = -1;
      while (child !== -1 && this.chars[child]! < code) {
        previous = child;
        child = this.nextSibling[child]!;
      }
      if (child === -1 || this.chars[child] !== code) {
        const created = this.allocate(code);
        this.nextSibling[created] = child;
        if (previous === -1) this.firstChild[node] = created;
        else this.nextSibling[previous] = created;
        child = created;
      }
      node = child;
    }
    this.values[node] = value;
  }

  get(word: string): number {
    const node = this.find(word);
    return node === -1 ? -1 : this.values[node]!;
  }

  /**
   * Values of words starting with `prefix` (the word itself included), shortest first, at most `limit`.
   * `onMatch` receives the value and the completed word's length.
   */
  forEachPrefix(prefix: string, limit: number, onMatch: (value: number, length: number) => void): void {
    const start = this.find(prefix);
    if (start === -1) return;
    let found = 0;
    let queue = [start];
    let depth = prefix.length;
    while (queue.length > 0 && found < limit) {
      const next: number[] = [];
      for (const node of queue) {
        const value = this.values[node]!;
        if (value !== -1) {
          onMatch(value, depth);
          if (++found >= limit) return;
        }
        for (let child = this.firstChild[node]!; child !== -1; child = this.nextSibling[child]!)
          next.push(child);
      }
      queue = next;
      depth++;
    }
  }

  /**
   * Values of words within `maxDistance` edits (insert, delete, substitute, swap adjacent) of `word`.
   * With `exactPrefix` = p, the first p characters must match exactly: like Lucene's fuzzy `prefixLength`,
   * it confines the walk to one subtree, which makes it an order of magnitude cheaper.
   * `onMatch` may read the matched word as `path[1 … length]` (character codes, valid during the call).
   */
  forEachWithin(
    word: string,
    maxDistance: number,
    onMatch: (value: number, distance: number, path: Uint16Array, length: number) => void,
    exactPrefix = 0,
  ): void {
    const n = word.length;
    const width = n + 1;
    const maxDepth = n + maxDistance;
    const rows = new Int32Array((maxDepth + 1) * width);
    const pathChars = new Uint16Array(maxDepth + 1);
    const query = new Uint16Array(n);
    for (let j = 0; j < n; j++) query[j] = word.charCodeAt(j);
    for (let j = 0; j <= n; j++) rows[j] = j;

    // Rows for the fixed prefix: matching characters along the diagonal.
    const fixed = Math.min(exactPrefix, n);
    let start = 0;
    for (let depth = 1; depth <= fixed; depth++) {
      const code = query[depth - 1]!;
      let child = this.firstChild[start]!;
      while (child !== -1 && this.chars[child]! < code) child = this.nextSibling[child]!;
      if (child === -1 || this.chars[child] !== code) return;
      start = child;
      pathChars[depth] = code;
      const row = depth * width;
      rows[row] = depth;
      for (let j = 1; j <= n; j++) {
        const cost = query[j - 1] === code ? 0 : 1;
        rows[row + j] = Math.min(
          rows[row - width + j]! + 1,
          rows[row + j - 1]! + 1,
          rows[row - width + j - 1]! + cost,
        );
      }
    }
    if (fixed > 0 && this.values[start]! !== -1 && rows[fixed * width + n]! <= maxDistance) {
      onMatch(this.values[start]!, rows[fixed * width + n]!, pathChars, fixed);
    }

    const nodeStack: number[] = [];
    const depthStack: number[] = [];
    for (let child = this.firstChild[start]!; child !== -1; child = this.nextSibling[child]!) {
      nodeStack.push(child);
      depthStack.push(fixed + 1);
    }
    while (nodeStack.length > 0) {
      const node = nodeStack.pop()!;
      const depth = depthStack.pop()!;
      const code = this.chars[node]!;
      pathChars[depth] = code;
      const row = depth * width;
      const above = row - width;
      const twoAbove = above - width;
      rows[row] = depth;
      let rowMin = depth;
      for (let j = 1; j <= n; j++) {
        const cost = query[j - 1] === code ? 0 : 1;
        let cell = Math.min(rows[above + j]! + 1, rows[row + j - 1]! + 1, rows[above + j - 1]! + cost);
        if (depth > 1 && j > 1 && query[j - 1] === pathChars[depth - 1] && query[j - 2] === code) {
          cell = Math.min(cell, rows[twoAbove + j - 2]! + 1);
        }
        rows[row + j] = cell;
        if (cell < rowMin) rowMin = cell;
      }
      const value = this.values[node]!;
      const distance = rows[row + n]!;
      if (value !== -1 && distance <= maxDistance) onMatch(value, distance, pathChars, depth);
      if (rowMin <= maxDistance && depth < maxDepth) {
        for (let child = this.firstChild[node]!; child !== -1; child = this.nextSibling[child]!) {
          nodeStack.push(child);
          depthStack.push(depth + 1);
        }
      }
    }
  }

  private find(word: string): number {
    let node = 0;
    for (let i = 0; i < word.length && node !== -1; i++) {
      const code = word.charCodeAt(i);
      let child = this.firstChild[node]!;
      while (child !== -1 && this.chars[child]! < code) child = this.nextSibling[child]!;
      node = child !== -1 && this.chars[child] === code ? child : -1;
    }
    return node;
  }

  private allocate(code: number): number {
    const node = this.nodeCount++;
    if (node >= this.chars.length) {
      const oldLength = this.chars.length;
      this.chars = grow(this.chars, node + 1);
      this.firstChild = grow(this.firstChild, node + 1);
      this.nextSibling = grow(this.nextSibling, node + 1);
      this.values = grow(this.values, node + 1);
      this.firstChild.fill(-1, oldLength);
      this.nextSibling.fill(-1, oldLength);
      this.values.fill(-1, oldLength);
    }
    this.chars[node] = code;
    return node;
  }
}
