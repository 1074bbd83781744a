// How long to wait before the next reconnect: doubling from minMs up to maxMs, with
// jitter (a random delay in the upper half) so a crowd dropped at once comes back spread out.
//
// Pure: the random source is injected for tests.

export class Backoff {
  constructor({ minMs = 500, maxMs = 15000, random = Math.random } = {}) {
    this.minMs = minMs;
    this.maxMs = maxMs;
    this.random = random;
    this.attempts = 0;
  }

  // The delay before the next attempt, counting it.
  next() {
    this.attempts += 1;
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** (this.attempts - 1));
    return ceiling / 2 + this.random() * (ceiling / 2);
  }

  reset() {
    this.attempts = 0;
  }
}
