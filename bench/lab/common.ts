// What the lab benchmark's scenarios share: the addresses and sizes, the log readers that split a
// figure into phases, and `must` (a command in a lab namespace that has to succeed).
import { sleep, type Lab, type LabPod } from '../../e2e/src/lab/lab.js';
import { loseNode, waitMoved } from '../../e2e/src/scenario.js';
import { mergeLogs, parseDaemonLog, type LogEntry } from '../lib/daemon-logs.js';
import { readLog, run as runIn } from '../lib/lab-helpers.js';

export const NS = 'bench';
export const EIP_FAILOVER = '192.0.2.100';
export const EIP_POD = '192.0.2.102';
/** Hand-written path: outside the pool (192.0.2.96/27), so no policy can ever claim it. */
export const HAND_IP = '192.0.2.150';
export const GATEWAYS = [2, 3, 4];

export interface Sizes { failover: number; handMoves: number; conv: number; pingCount: number; pingRounds: number; iperfSecs: number; iperfRounds: number }

/** The pods of the main lab: `sel`, `plain`, `hand` (see setup.ts), `pc` for policy-created. */
export interface Env { sel: LabPod; plain: LabPod; hand: LabPod; pc: LabPod; handGateway: number }

export const say = (l: string): void => { process.stderr.write(`[lab-bench] ${l}\n`); };
export const r1 = (x: number): number => Math.round(x * 10) / 10;
export const r2 = (x: number): number => Math.round(x * 100) / 100;

export async function must(ns: string, cmd: string, args: string[], input?: string): Promise<string> {
  const r = await runIn(ns, cmd, args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`[${ns}] ${cmd} ${args.join(' ')}: ${r.out.trim()}`);
  return r.out;
}

export function managerLog(lab: Lab): LogEntry[] {
  return mergeLogs(...[...lab.managers.keys()].map((m) => parseDaemonLog(readLog(lab, `manager-${m}.log`))));
}
export function agentLog(lab: Lab, node: string): LogEntry[] {
  return parseDaemonLog(readLog(lab, `agent-${node}.log`));
}
export function mapValues<T extends object>(o: T, f: (v: number) => number): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v as number)]));
}

/**
 * The gateway-loss step of both failover benches: the one holder of `ip` is lost (link cut, agent
 * SIGKILLed) and `ip` is seen on another node; polled gently (every 250 ms): the measurement comes
 * from the probe and the logs, not from here. The caller restores the node.
 */
export async function loseHolder(lab: Lab, ip: string, trial: number): Promise<{ fault: number; end: number; oldNode: string; newNode: string; x: number }> {
  const held = (await lab.holders()).get(ip) ?? [];
  if (held.length !== 1) throw new Error(`${ip} held by ${JSON.stringify(held)} before trial ${trial + 1}`);
  const oldNode = held[0]!;
  const x = lab.nodeIndex(oldNode);
  const fault = Date.now();
  await loseNode(lab, x);
  const newNode = await waitMoved(lab, ip, oldNode, 30_000, 250);
  await sleep(1_000);
  return { fault, end: Date.now(), oldNode, newNode, x };
}
