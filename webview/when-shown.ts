// Work a tab does only while it is shown: a hot-spot table or call tree of a 100k-node profile costs
// ~100 ms to build, which a hidden tab need not pay for every new tree.
export class WhenShown {
  private stale = false;
  private shown = false;

  constructor(private readonly build: () => void) {}

  /** New data: built now when shown, else when next shown. */
  changed(): void {
    this.stale = true;
    if (this.shown) this.run();
  }

  setShown(shown: boolean): void {
    this.shown = shown;
    if (shown && this.stale) this.run();
  }

  /** Builds now, whatever was pending (a control of the shown tab changed). */
  run(): void {
    this.stale = false;
    this.build();
  }
}
