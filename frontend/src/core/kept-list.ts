/**
 * A list the page reads over HTTP when first needed and then keeps (the tag field's
 * suggestions, ui/treepage-panels.ts; the titles of the trees one can open, which name a
 * merged tree's sources, ui/analysis.ts): read again, once, when the page's socket (re)joins the
 * tree's broadcasts or a message says the list changed, never two reads at once
 * (core/rereads.ts). A read that failed is tried again at the next need or join. DOM-free:
 * `read` fetches, `shown` redraws whatever shows the list.
 */
import { Rereads } from "./rereads";

export class KeptList<T> {
  /** The last answer (empty until one came; kept when a later read fails). */
  rows: T[] = [];
  /** An answer came (the rows are the server's, not the empty start). */
  answered = false;
  private readonly reads = new Rereads();
  /** The last read started (what `need` waits for while it is in flight). */
  private current: Promise<void> = Promise.resolve();

  constructor(
    private readonly read: () => Promise<T[]>,
    private readonly shown: () => void,
  ) {}

  /** Something shows the list: read it, unless it was read or is being read. Settles when
   * the read in flight (or the one started) has ended, answered or not. */
  need(): Promise<void> {
    if (!this.answered && !this.reads.busy) this.start();
    return this.current;
  }

  /** The page's socket (re)joined the tree's broadcasts: what changed meanwhile is read. */
  joined(): void {
    if (this.reads.joined()) this.start();
  }

  /** A message said the list changed (a `tags` event: someone renamed or merged tags). */
  changed(): void {
    if (this.reads.changed()) this.start();
  }

  private start(): void {
    this.current = this.fetch();
  }

  private async fetch(): Promise<void> {
    this.reads.begin();
    try {
      this.rows = await this.read();
      this.answered = true;
    } catch {
      // Nothing to tell: the rows kept (or none) are shown; the next need or join reads again.
    } finally {
      this.reads.end();
    }
    this.shown();
    if (this.reads.again()) this.start();
  }
}
