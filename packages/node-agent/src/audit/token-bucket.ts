// A token bucket: `ratePerSec` tokens a second, at most `burst` saved up. Pure given the times passed in.
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly ratePerSec: number, private readonly burst: number, nowMs: number) {
    if (!(ratePerSec > 0) || !(burst >= 1)) throw new Error(`token bucket: rate ${ratePerSec}/s and burst ${burst} must be positive`);
    this.tokens = burst;
    this.last = nowMs;
  }

  /** Takes one token if there is one. */
  take(nowMs: number): boolean {
    const elapsed = Math.max(0, nowMs - this.last);
    this.last = Math.max(this.last, nowMs);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSec) / 1000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
