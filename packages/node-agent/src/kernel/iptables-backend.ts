// Which iptables the host uses, decided at start the way kube-proxy's iptables wrapper does
// (kubernetes-sigs/iptables-wrappers): the image carries both iptables-nft and iptables-legacy, and
// rules written through the other backend would be invisible to whoever reads the host's tables.
// `chooseIptablesBackend` is the pure rule; `selectIptablesBackend` reads both backends' tables and
// points the plain `iptables*` names at the chosen one for this process only (a directory of symlinks
// put first on PATH: the container's root filesystem is read-only, so the alternatives cannot move).
import { execa } from 'execa';
import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export type IptablesBackend = 'nft' | 'legacy';

/** Chains kubelet and kube-proxy create to mark the backend they write (the wrapper checks them first). */
const HINT_CHAINS = /^:(KUBE-IPTABLES-HINT|KUBE-KUBELET-CANARY) /m;

/** Rules (lines starting with `-`) in iptables-save output. */
export function countRules(saveText: string): number {
  return saveText.split('\n').filter((l) => l.startsWith('-')).length;
}

/**
 * The wrapper's decision: a hint chain wins (nft first); else legacy when it holds 10 or more rules
 * or more rules than nft; else nft (also when both are empty, as on a fresh host).
 */
export function chooseIptablesBackend(saves: { nft: string; legacy: string }): IptablesBackend {
  if (HINT_CHAINS.test(saves.nft)) return 'nft';
  if (HINT_CHAINS.test(saves.legacy)) return 'legacy';
  const legacy = countRules(saves.legacy);
  if (legacy >= 10 || legacy > countRules(saves.nft)) return 'legacy';
  return 'nft';
}

/** The names the agent runs, each mapped to the backend's own binary. */
export const IPTABLES_COMMANDS = ['iptables', 'iptables-save', 'iptables-restore'] as const;

async function saveOf(cmd: string): Promise<string> {
  const r = await execa(cmd, [], { reject: false, timeout: 5_000 });
  return r.exitCode === 0 ? String(r.stdout) : '';
}

function findInPath(cmd: string, path = process.env.PATH ?? ''): string | undefined {
  return path.split(delimiter).filter(Boolean).map((d) => join(d, cmd)).find((p) => existsSync(p));
}

/**
 * Detects the backend and makes `iptables`, `iptables-save` and `iptables-restore` run it for this
 * process. Returns undefined (PATH untouched) where the host lacks the per-backend binaries.
 */
export async function selectIptablesBackend(): Promise<IptablesBackend | undefined> {
  const nftSave = findInPath('iptables-nft-save');
  const legacySave = findInPath('iptables-legacy-save');
  if (!nftSave || !legacySave) return undefined;
  const backend = chooseIptablesBackend({ nft: await saveOf(nftSave), legacy: await saveOf(legacySave) });
  const dir = mkdtempSync(join(tmpdir(), 'static-egress-iptables-'));
  for (const cmd of IPTABLES_COMMANDS) {
    const target = findInPath(cmd.replace(/^iptables/, `iptables-${backend}`));
    if (!target) return undefined;
    // xtables-*-multi dispatch on argv[0]: a link named `iptables-save` into the nft multi-binary
    // is iptables-nft-save, into the legacy one iptables-legacy-save.
    symlinkSync(target, join(dir, cmd));
  }
  process.env.PATH = [dir, process.env.PATH ?? ''].join(delimiter);
  return backend;
}
