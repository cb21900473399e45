/**
 * When to read again a list that is read over HTTP and then kept current by websocket
 * messages (the merge review queue, ui/review.ts; the tag field's suggestions,
 * core/kept-list.ts). DOM-free: the caller does the reading.
 *
 * A read can miss what was announced while it was in flight (it may have been answered
 * before), and everything broadcast before the page's socket joined the tree's group (while
 * it was offline, or before its first socket). Either calls for one more read after the read
 * in flight, never a second read racing it: two answers arriving in either order could leave
 * the older one on screen. A list whose read failed is still the page's (it says it could not
 * read it): a join reads it too, as the failure may have been the page being offline.
 */
export class Rereads {
  private reading = 0;
  /** A read in flight may not hold everything: read once more when the reads are done. */
  private stale = false;
  /** The page keeps this list: it began reading it (answered or not) and did not give it up. */
  private kept = false;

  /** A read starts. */
  begin(): void {
    if (this.reading === 0) this.stale = false;
    this.reading += 1;
    this.kept = true;
  }

  /** A read ended, answered or not. */
  end(): void {
    this.reading -= 1;
  }

  /** A read is in flight. */
  get busy(): boolean {
    return this.reading > 0;
  }

  /** The page has no such list (the tree has no review queue): a join reads nothing. */
  none(): void {
    this.kept = false;
    this.stale = false;
  }

  /** A live message came: the read in flight, if any, may have been answered before it. */
  announced(): void {
    if (this.reading > 0) this.stale = true;
  }

  /**
   * The page's socket (re)joined the tree's broadcasts. True: read now (the list is kept,
   * whether shown or its last read failed); false: nothing to read (never read, or none), or a
   * read is in flight and `again` will ask for one more after it.
   */
  joined(): boolean {
    if (!this.kept) return false;
    if (this.reading === 0) return true;
    this.stale = true;
    return false;
  }

  /** A message said the list changed without saying how (a tag rename: the suggestions):
   * as after a join, read now, or once more after the read in flight. */
  changed(): boolean {
    return this.joined();
  }

  /** A read ended, answered or failed: true once when another read is due (and none is in
   * flight). */
  again(): boolean {
    if (this.reading > 0 || !this.stale) return false;
    this.stale = false;
    return true;
  }
}
