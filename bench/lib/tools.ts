// The programs the lab benchmarks run besides the lab's own (ping and iperf3 for the data path),
// checked before a lab is brought up: a fresh machine without `ping` used to get "exec of ping
// failed" and a NaN figure reported as a missed target, instead of what to install.
import { spawnSync } from 'node:child_process';

export const LAB_BENCH_TOOLS: readonly (readonly [cmd: string, debianPackage: string])[] = [
  ['ip', 'iproute2'], ['iptables', 'iptables'], ['ipset', 'ipset'], ['arping', 'iputils-arping'],
  ['socat', 'socat'], ['conntrack', 'conntrack'], ['nft', 'nftables'], ['ping', 'iputils-ping'], ['iperf3', 'iperf3'],
];

export function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** `undefined` when every tool is there, else what is missing and the one command that installs it. */
export function describeMissingTools(tools: readonly (readonly [string, string])[], has: (cmd: string) => boolean = onPath): string | undefined {
  const missing = tools.filter(([cmd]) => !has(cmd));
  if (missing.length === 0) return undefined;
  const pkgs = [...new Set(missing.map(([, p]) => p))];
  return `missing ${missing.map(([c]) => c).join(', ')}: apt-get install -y ${pkgs.join(' ')}`;
}
