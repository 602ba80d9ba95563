// The test side of netlink-cli.ts: a LinuxNetlink of one family running inside a namespace.
import { execa, type ResultPromise } from 'execa';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { RouteIntent, RuleIntent } from '../../src/render/types.js';
import type { MemberChange, OwnedAddress } from '../../src/kernel/interfaces.js';
import type { InterfaceAddress } from '../../src/kernel/linux-netlink.js';

const REPO = join(import.meta.dirname, '../../../..');

export class NetlinkInNs {
  private readonly proc: ResultPromise;
  private readonly waiting: ((line: string) => void)[] = [];

  constructor(ns: string, family: 4 | 6) {
    this.proc = execa('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join(import.meta.dirname, 'netlink-cli.ts'), String(family)],
      { cwd: REPO, reject: false, stdin: 'pipe' });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => this.waiting.shift()?.(l));
  }

  private call<T>(cap: string, method: string, ...args: unknown[]): Promise<T> {
    return new Promise((resolve, reject) => {
      this.waiting.push((line) => {
        const r = JSON.parse(line) as { ok: boolean; error?: string; result: T };
        if (r.ok) resolve(r.result); else reject(new Error(r.error));
      });
      this.proc.stdin!.write(`${JSON.stringify({ cap, method, args })}\n`);
    });
  }

  readonly rules = {
    list: (min: number, max: number) => this.call<RuleIntent[]>('rules', 'list', min, max),
    add: (r: readonly RuleIntent[]) => this.call<null>('rules', 'add', r),
    del: (r: readonly RuleIntent[]) => this.call<null>('rules', 'del', r),
  };
  readonly routes = {
    list: (min: number, max: number) => this.call<RouteIntent[]>('routes', 'list', min, max),
    replace: (r: readonly RouteIntent[]) => this.call<null>('routes', 'replace', r),
    del: (r: readonly RouteIntent[]) => this.call<null>('routes', 'del', r),
  };
  readonly addresses = {
    list: (dev: string) => this.call<OwnedAddress[]>('addresses', 'list', dev),
    add: (dev: string, ips: readonly string[]) => this.call<string[]>('addresses', 'add', dev, ips),
    del: (dev: string, ips: readonly string[]) => this.call<null>('addresses', 'del', dev, ips),
  };
  readonly members = {
    apply: (changes: readonly MemberChange[]) => this.call<null>('members', 'apply', changes),
  };
  linkMAC(dev: string): Promise<string> { return this.call('self', 'linkMAC', dev); }
  interfaceAddresses(): Promise<InterfaceAddress[]> { return this.call('self', 'interfaceAddresses'); }

  close(): void { this.proc.stdin!.end(); }
}
