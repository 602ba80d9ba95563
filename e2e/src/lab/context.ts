// What every part of a lab run shares: the topology plan and names, the run's directory and log,
// its state file, the cluster once it is up, and the registry of every process the run started (so
// teardown finds them all). The parts (network.ts, daemons.ts, objects-api.ts, observe.ts) each take
// one of these; lab.ts composes them.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Daemon } from '../k8s/daemon.js';
import type { Cluster } from '../k8s/cluster.js';
import type { KubeClient } from './kube.js';
import * as A from './addressing.js';
import { hasIPv4, hasIPv6, nodeIP6, parseLabIPFamilies, type LabIPFamily } from './ipv6.js';
import type { LabNames } from './names.js';
import { labBaseDir, writeState, type LabState } from './state.js';
import { range, type TopologyPlan } from './topology.js';

export interface LabOptions {
  nodes?: number;
  managers?: number;
  overlay?: boolean;
  /** Nodes labelled staticegress.io/gateway="" (default: all). */
  gatewayNodes?: number[];
  /** Start the node-agents and managers (default true; false = network + cluster only). */
  daemons?: boolean;
  /** Start the node-agents (default true; false = managers only, for debugging the control plane). */
  agents?: boolean;
  agentArgs?: string[];
  managerArgs?: string[];
  /**
   * The daemons' command line before their flags, instead of Node with tsx and the TypeScript source:
   * e.g. `[node, --max-semi-space-size=2, dist/node-agent.js]`, as the DaemonSet runs it (the scale
   * benchmark's RSS figures).
   */
  agentCommand?: string[];
  managerCommand?: string[];
  /** Extra kube-apiserver flags (e.g. an audit policy for the API-load benchmark). */
  apiServerArgs?: string[];
  prefix?: string;
  /**
   * Cloud mode (issue 13, cloud.ts): moto as the EC2 API, the router and the LAN obey it instead of
   * ARP, the managers run with --cloud-provider aws. Implies the overlay (pod addresses never on the LAN).
   */
  cloud?: boolean;
  /** Cloud mode: the gateways' instance type (default t3.micro: room for one egress IP each). */
  cloudGatewayType?: string;
  /**
   * The lab's address families (issue 11, ipv6.ts): ['IPv4'] (default: as before), dual stack
   * ['IPv4', 'IPv6'] — IPv6 on every link, pods and Nodes with an address of each family — or
   * IPv6 only ['IPv6']: no IPv4 on any link, Nodes and pods IPv6 only, agents without --uplink.
   */
  ipFamilies?: LabIPFamily[];
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

const TSX = fileURLToPath(import.meta.resolve('tsx'));

export class LabContext {
  readonly names: LabNames;
  readonly dir: string;
  readonly logDir: string;
  readonly echoLogPath: string;
  readonly log: (line: string) => void;
  readonly state: LabState;
  /** Every process of the run, in start order (teardown stops them all). */
  readonly daemons: Daemon[] = [];
  cluster!: Cluster;
  kube!: KubeClient;
  private readonly t0 = Date.now();

  constructor(readonly plan: TopologyPlan, readonly opts: LabOptions) {
    this.names = plan.names;
    this.dir = join(labBaseDir(), plan.prefix);
    this.logDir = join(this.dir, 'logs');
    this.echoLogPath = join(this.logDir, 'echo-server.jsonl');
    const out = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    this.log = (l) => out(`[lab ${plan.prefix} +${((Date.now() - this.t0) / 1000).toFixed(1)}s] ${l}`);
    this.state = {
      prefix: plan.prefix, ownerPid: process.pid, dir: this.dir, startedAt: new Date().toISOString(),
      nodes: plan.nodes, managers: plan.managers, overlay: plan.overlay, netns: plan.allNetns, daemons: [],
      phase: 'starting',
    };
  }

  get prefix(): string { return this.plan.prefix; }
  /** IPv6 on every link (ipv6.ts): dual stack, or IPv6 only. */
  get ipv6(): boolean { return hasIPv6(parseLabIPFamilies(this.opts.ipFamilies)); }
  /** false in an IPv6-only lab: no IPv4 address on any link, Nodes and pods IPv6 only. */
  get ipv4(): boolean { return hasIPv4(parseLabIPFamilies(this.opts.ipFamilies)); }
  /** Node i's InternalIP: IPv4, or IPv6 in an IPv6-only lab. */
  nodeAddress(i: number): string { return this.ipv4 ? A.nodeIP(i) : nodeIP6(i); }
  nodeName(i: number): string { return `node-${i}`; }
  get nodeIndexes(): number[] { return range(this.plan.nodes); }

  saveState(): void {
    this.state.daemons = this.daemons.map((d) => ({ name: d.name, pid: d.pid, log: d.logPath }));
    writeState(this.state);
  }

  /** A process of this run (not started yet), logging to logs/<name>.log, inside `netns` when given. */
  daemon(name: string, netns: string | undefined, cmd: string, args: string[]): Daemon {
    const log = join(this.logDir, `${name}.log`);
    const d = netns ? new Daemon(name, 'ip', ['netns', 'exec', netns, cmd, ...args], log) : new Daemon(name, cmd, args, log);
    this.daemons.push(d);
    return d;
  }

  /** Command line running a TypeScript file with this Node and tsx. */
  nodeScript(script: string, args: string[]): [string, string[]] {
    return [process.execPath, ['--import', TSX, script, ...args]];
  }

  /** A daemon's command line: `command` (LabOptions.agentCommand/managerCommand) if given, else nodeScript. */
  daemonScript(command: string[] | undefined, script: string, args: string[]): [string, string[]] {
    return command?.length ? [command[0]!, [...command.slice(1), ...args]] : this.nodeScript(script, args);
  }
}
