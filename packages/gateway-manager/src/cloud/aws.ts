// AWS: a node is the EC2 instance of its spec.providerID; an egress IP is a secondary private IP of the
// instance's primary ENI (device index 0). Reads are one DescribeInstances per 100 nodes (subnets and
// instance-type limits are cached: they do not change under a running instance). A move is one
// UnassignPrivateIpAddresses per interface holding the IP, then AssignPrivateIpAddresses with
// AllowReassignment; nothing relies on EC2 to move, refuse or limit anything.
import {
  AssignPrivateIpAddressesCommand,
  DescribeInstanceTypesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  paginateDescribeInstances,
  UnassignPrivateIpAddressesCommand,
  type Instance,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import type { CloudInterface, CloudNodeRef, CloudProvider } from './provider.js';

/** `aws:///us-east-1a/i-0123456789abcdef0` (the zone may be empty) → the instance id. */
export function parseAwsProviderID(providerID: string | undefined): string | undefined {
  const m = /^aws:\/\/\/?[^/]*\/(i-[0-9a-z]+)$/.exec(providerID ?? '');
  return m?.[1];
}

/** The primary ENI of an instance as DescribeInstances reports it, before subnet and limit are known. */
export function primaryInterfaceOf(instance: Instance): { eni: string; subnetId: string; primary: string; secondary: string[] } | undefined {
  const eni = instance.NetworkInterfaces?.find((n) => (n.Attachment?.DeviceIndex ?? -1) === 0);
  if (!eni?.NetworkInterfaceId || !eni.SubnetId) return undefined;
  const addrs = eni.PrivateIpAddresses ?? [];
  const primary = addrs.find((a) => a.Primary)?.PrivateIpAddress ?? eni.PrivateIpAddress ?? '';
  const secondary = addrs.filter((a) => !a.Primary && a.PrivateIpAddress).map((a) => a.PrivateIpAddress!);
  return { eni: eni.NetworkInterfaceId, subnetId: eni.SubnetId, primary, secondary };
}

export interface AwsProviderOptions {
  client: EC2Client;
  /** Called after every EC2 call (metrics, the benchmark's call count). */
  onCall?: (action: string, ok: boolean) => void;
}

/** Errors that mean "already so" for an unassign. */
const GONE = /not assigned|NotFound/i;

export class AwsProvider implements CloudProvider {
  readonly name = 'aws';
  private readonly subnets = new Map<string, string>();
  private readonly limits = new Map<string, number>();

  constructor(private readonly opts: AwsProviderOptions) {}

  async describeNodes(nodes: readonly CloudNodeRef[]): Promise<CloudInterface[]> {
    const byInstance = new Map<string, string>();
    for (const n of nodes) {
      const id = parseAwsProviderID(n.providerID);
      if (id) byInstance.set(id, n.name);
    }
    const ids = [...byInstance.keys()];
    const instances: Instance[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      const filter = [{ Name: 'instance-id', Values: ids.slice(i, i + 100) }];
      const pages = paginateDescribeInstances({ client: this.opts.client }, { Filters: filter });
      await this.counted('DescribeInstances', async () => {
        for await (const page of pages) for (const r of page.Reservations ?? []) instances.push(...(r.Instances ?? []));
      });
    }
    const live = instances.filter((i) => i.State?.Name !== 'terminated' && i.InstanceId && byInstance.has(i.InstanceId));
    await this.learn(live);
    return live.flatMap((inst) => {
      const p = primaryInterfaceOf(inst);
      const subnet = p && this.subnets.get(p.subnetId);
      const limit = this.limits.get(inst.InstanceType ?? '');
      if (!p || !subnet || limit === undefined) return [];
      return [{ node: byInstance.get(inst.InstanceId!)!, instance: inst.InstanceId!, interface: p.eni, subnet, limit, primary: p.primary, secondary: p.secondary }];
    });
  }

  async assignIP(ip: string, to: CloudInterface, from: readonly CloudInterface[]): Promise<void> {
    for (const f of from) await this.releaseIP(ip, f);
    const input = { NetworkInterfaceId: to.interface, PrivateIpAddresses: [ip], AllowReassignment: true };
    await this.counted('AssignPrivateIpAddresses', () => this.opts.client.send(new AssignPrivateIpAddressesCommand(input)));
  }

  async releaseIP(ip: string, on: CloudInterface): Promise<void> {
    const input = { NetworkInterfaceId: on.interface, PrivateIpAddresses: [ip] };
    try {
      await this.counted('UnassignPrivateIpAddresses', () => this.opts.client.send(new UnassignPrivateIpAddressesCommand(input)));
    } catch (err) {
      if (!GONE.test(`${(err as Error).name} ${(err as Error).message}`)) throw err;
    }
  }

  /** Subnet CIDRs and per-interface limits not seen before. */
  private async learn(instances: readonly Instance[]): Promise<void> {
    const subnetIds = [...new Set(instances.flatMap((i) => primaryInterfaceOf(i)?.subnetId ?? []))].filter((s) => !this.subnets.has(s));
    if (subnetIds.length) {
      const out = await this.counted('DescribeSubnets', () => this.opts.client.send(new DescribeSubnetsCommand({ SubnetIds: subnetIds })));
      for (const s of out.Subnets ?? []) if (s.SubnetId && s.CidrBlock) this.subnets.set(s.SubnetId, s.CidrBlock);
    }
    const types = [...new Set(instances.flatMap((i) => i.InstanceType ?? []))].filter((t) => !this.limits.has(t));
    if (types.length) {
      const cmd = new DescribeInstanceTypesCommand({ InstanceTypes: types as _InstanceType[] });
      const out = await this.counted('DescribeInstanceTypes', () => this.opts.client.send(cmd));
      for (const t of out.InstanceTypes ?? []) {
        const n = t.NetworkInfo?.Ipv4AddressesPerInterface;
        if (t.InstanceType && n !== undefined) this.limits.set(t.InstanceType, n);
      }
    }
  }

  private async counted<T>(action: string, call: () => Promise<T>): Promise<T> {
    try {
      const out = await call();
      this.opts.onCall?.(action, true);
      return out;
    } catch (err) {
      this.opts.onCall?.(action, false);
      throw err;
    }
  }
}

/**
 * The EC2 client from the standard credential chain (IRSA web identity, instance profile, environment)
 * and region (AWS_REGION, or the instance metadata); `endpoint` only for tests (moto).
 */
export function createEC2Client(opts: { region?: string; endpoint?: string } = {}): EC2Client {
  return new EC2Client({ ...(opts.region ? { region: opts.region } : {}), ...(opts.endpoint ? { endpoint: opts.endpoint } : {}), maxAttempts: 3 });
}
