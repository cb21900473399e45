/**
 * When to read again a list that is read over HTTP and then kept current by websocket
 * messages (the merge review queue, ui/review.ts). DOM-free: the caller does the reading.
 *
 * A read can miss what was announced while it was in flight (it may have been answered
 * before), and everything broadcast before the page's socket joined the tree's group (while
 * it was offline, or before its first socket). Either calls for one more read after the read
 * in flight, never a second read racing it: two answers arriving in either order could leave
 * the older one on screen.
 */
export class Rereads {
  private reading = 0;
  /** A read in flight may not hold everything: read once more when the reads are done. */
  private stale = false;

  /** A read starts. */
  begin(): void {
    if (this.reading === 0) this.stale = false;
    this.reading += 1;
  }

  /** A read ended, answered or not. */
  end(): void {
    this.reading -= 1;
  }

  /** A live message came: the read in flight, if any, may have been answered before it. */
  announced(): void {
    if (this.reading > 0) this.stale = true;
  }

  /**
   * The page's socket (re)joined the tree's broadcasts. True: read now (when anything is
   * shown); false: a read is in flight, and `again` will ask for one more after it.
   */
  joined(): boolean {
    if (this.reading === 0) return true;
    this.stale = true;
    return false;
  }

  /** A read's answer was shown: true once when another read is due (and none is in flight). */
  again(): boolean {
    if (this.reading > 0 || !this.stale) return false;
    this.stale = false;
    return true;
  }
}
