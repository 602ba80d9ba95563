// The lab's cloud mode (issue 13, `Lab.up({ cloud: true })`): moto's EC2 server as the VPC's API, a
// VPC with one subnet per zone and one instance per lab node whose primary ENI address is the node's
// (192.0.2.1x), each Node's spec.providerID, and the fabric (vpc-fabric.ts) that makes the LAN and the
// router obey moto instead of ARP. The managers run with --cloud-provider aws and dummy credentials,
// and reach EC2 at 127.0.0.1:5000 in their namespace: a relay to the fabric's recording proxy.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateSubnetCommand, CreateVpcCommand, DescribeImagesCommand, DescribeNetworkInterfacesCommand, EC2Client, RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { freePorts } from '../k8s/cluster.js';
import { REPO_ROOT } from '../k8s/binaries.js';
import * as A from './addressing.js';
import type { LabContext } from './context.js';
import { inNetns } from './exec.js';
import { range } from './topology.js';
import { waitFor } from './wait.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
export const CLOUD_REGION = 'us-east-1';
/** Zone a holds every lab node and the usual pool; zone b is a subnet no lab node is in. */
export const CLOUD_SUBNETS = { 'us-east-1a': '192.0.2.0/25', 'us-east-1b': '192.0.2.128/26' } as const;
/** Addresses the router delivers only where an ENI holds them (everything else there is a blackhole). */
export const CLOUD_MANAGED = ['192.0.2.96/27', '192.0.2.128/26', '192.0.2.224/27'];
const EC2_PORT_IN_NETNS = 5000;
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** One EC2 call the managers made, as the fabric's proxy saw it (ms since the epoch). */
export interface Ec2Call { action: string; start: number; end: number; status: number }

export class LabCloud {
  private motoEndpoint = '';
  private ec2Client: EC2Client | undefined;
  /** node index → instance id */
  readonly instances = new Map<number, string>();

  constructor(private readonly ctx: LabContext) {}

  get ec2(): EC2Client {
    if (!this.ec2Client) throw new Error('moto is not up');
    return this.ec2Client;
  }
  get callLogPath(): string { return join(this.ctx.logDir, 'ec2-calls.jsonl'); }
  private get socket(): string { return join(this.ctx.dir, 'ec2.sock'); }

  /** What the managers need: the flags and, as `env` arguments, the dummy credentials. */
  managerArgs(): string[] {
    return ['--cloud-provider', 'aws', '--aws-endpoint', `http://127.0.0.1:${EC2_PORT_IN_NETNS}`, '--cloud-resync', '2s'];
  }
  managerEnv(): string[] {
    return [`AWS_ACCESS_KEY_ID=${CREDENTIALS.accessKeyId}`, `AWS_SECRET_ACCESS_KEY=${CREDENTIALS.secretAccessKey}`,
      `AWS_REGION=${CLOUD_REGION}`, 'AWS_EC2_METADATA_DISABLED=true'];
  }

  async startMoto(): Promise<void> {
    const [port] = (await freePorts(1)) as [number];
    const d = this.ctx.daemon('moto', undefined, process.env['MOTO_SERVER'] ?? 'moto_server', ['-H', '127.0.0.1', '-p', String(port)]);
    d.start();
    this.motoEndpoint = `http://127.0.0.1:${port}`;
    await waitFor('moto_server (pip install \'moto[server]\')', async () => {
      if (!d.running) throw new Error(`moto_server exited (${d.exitReason}): ${d.logTail(5)}`);
      return fetch(`${this.motoEndpoint}/moto-api/`).then((r) => r.ok, () => false);
    }, 30_000, 100);
    this.ec2Client = new EC2Client({ region: CLOUD_REGION, endpoint: this.motoEndpoint, credentials: CREDENTIALS });
  }

  /** The VPC, a subnet per zone, an instance per lab node (gateways `type`, others m5.large); Nodes' providerIDs. */
  async buildVpc(gateways: Set<number>, gatewayType: string): Promise<void> {
    const { ec2, ctx } = this;
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: A.LAN_CIDR }))).Vpc!;
    const subnets = new Map<string, string>();
    for (const [zone, cidr] of Object.entries(CLOUD_SUBNETS)) {
      const s = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId!, CidrBlock: cidr, AvailabilityZone: zone }));
      subnets.set(zone, s.Subnet!.SubnetId!);
    }
    const image = (await ec2.send(new DescribeImagesCommand({}))).Images![0]!.ImageId!;
    for (const i of ctx.nodeIndexes) {
      const r = await ec2.send(new RunInstancesCommand({
        ImageId: image, MinCount: 1, MaxCount: 1, InstanceType: (gateways.has(i) ? gatewayType : 'm5.large') as never,
        SubnetId: subnets.get('us-east-1a')!, PrivateIpAddress: A.nodeIP(i),
      }));
      const id = r.Instances![0]!.InstanceId!;
      this.instances.set(i, id);
      await ctx.kube.patch(`/api/v1/nodes/${ctx.nodeName(i)}`, { spec: { providerID: `aws:///us-east-1a/${id}` } });
    }
    await ctx.cluster.kubectl(['apply', '-f', join(REPO_ROOT, 'manifests/rbac/manager-cloud.yaml')]);
    ctx.log(`cloud: moto ${this.motoEndpoint}, VPC ${A.LAN_CIDR}, subnets ${Object.entries(CLOUD_SUBNETS).map(([z, c]) => `${z}=${c}`).join(' ')}, ` +
      `instances ${[...this.instances].map(([i, id]) => `${ctx.nodeName(i)}=${id}`).join(' ')} (gateways ${gatewayType})`);
  }

  /** The fabric + EC2 proxy, and a relay to it in every manager namespace; waits for the first render. */
  async startFabric(): Promise<void> {
    const { ctx } = this;
    const n = ctx.names;
    const ports = ctx.nodeIndexes.map((i) => `${A.nodeIP(i)}=${n.nodeLanPort(i)}`).join(',');
    const [cmd, args] = ctx.nodeScript(join(HERE, 'vpc-fabric.ts'), [
      '--endpoint', this.motoEndpoint, '--socket', this.socket, '--call-log', this.callLogPath,
      '--lan-ns', n.lanNs, '--router-ns', n.routerNs, '--router-dev', n.routerLan, '--table', `${ctx.prefix}-vpc`,
      '--ports', ports, '--managed', CLOUD_MANAGED.join(','),
    ]);
    const fabric = ctx.daemon('vpc-fabric', undefined, cmd, args);
    fabric.start();
    for (const m of range(ctx.plan.managers)) {
      ctx.daemon(`relay-ec2-m${m}`, n.managerNs(m), 'socat',
        [`TCP-LISTEN:${EC2_PORT_IN_NETNS},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${this.socket}`]).start();
    }
    await waitFor('the VPC fabric\'s first render', async () => {
      if (!fabric.running) throw new Error(`vpc-fabric exited (${fabric.exitReason}): ${fabric.logTail(5)}`);
      return existsSync(this.socket) && (await inNetns(n.lanNs, 'nft', ['list', 'tables'])).includes(`${ctx.prefix}-vpc`);
    }, 60_000, 200);
    ctx.saveState();
  }

  /** The nodes whose ENI holds `ip` in moto (more than one is a failure the suites check). */
  async holders(ip: string): Promise<string[]> {
    const enis = (await this.ec2.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces ?? [];
    const byInstance = new Map([...this.instances].map(([i, id]) => [id, this.ctx.nodeName(i)]));
    return enis.filter((e) => (e.PrivateIpAddresses ?? []).some((a) => a.PrivateIpAddress === ip))
      .map((e) => byInstance.get(e.Attachment?.InstanceId ?? '') ?? e.NetworkInterfaceId!);
  }

  /** The managers' EC2 calls since `sinceMs` (writes only unless `all`). */
  calls(sinceMs = 0, all = false): Ec2Call[] {
    if (!existsSync(this.callLogPath)) return [];
    return readFileSync(this.callLogPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Ec2Call)
      .filter((c) => c.start >= sinceMs && (all || !c.action.startsWith('Describe')));
  }

  stop(): void {
    this.ec2Client?.destroy();
  }
}
