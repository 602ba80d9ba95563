// A real EC2 API for the cloud suites: moto's server mode (PyPI moto[server], pinned in .ci/run),
// started on a free loopback port and stopped like the apiserver, with dummy credentials and the
// endpoint pointed only at it. `vpc()` builds a VPC, two subnets in two zones and one instance per
// node, whose primary ENI address is the node's. `holders()` reads moto's own state: the tests, not
// moto, check that an address is on one ENI at most (moto 5.2.5 lets a reassignment leave it on both).
import { join } from 'node:path';
import {
  CreateSubnetCommand, CreateVpcCommand, DescribeImagesCommand, DescribeNetworkInterfacesCommand, EC2Client, RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { freePorts } from '../../../../e2e/src/k8s/index.js';
import { Daemon } from '../../../../e2e/src/k8s/daemon.js';

export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
export const MOTO_REGION = 'us-east-1';

export class Moto {
  private constructor(private readonly daemon: Daemon, readonly endpoint: string, readonly ec2: EC2Client) {}

  static async start(dir: string): Promise<Moto> {
    const [port] = (await freePorts(1)) as [number];
    const daemon = new Daemon('moto', process.env['MOTO_SERVER'] ?? 'moto_server', ['-H', '127.0.0.1', '-p', String(port)], join(dir, 'moto.log'));
    daemon.start();
    const endpoint = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (!daemon.running) throw new Error(`moto_server did not start (${daemon.exitReason}; pip install 'moto[server]'): ${daemon.logTail()}`);
      if (await fetch(`${endpoint}/moto-api/`).then((r) => r.ok, () => false)) break;
      if (Date.now() > deadline) throw new Error(`moto_server not answering on ${endpoint}: ${daemon.logTail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return new Moto(daemon, endpoint, new EC2Client({ region: MOTO_REGION, endpoint, credentials: MOTO_CREDENTIALS }));
  }

  /** The manager's environment: dummy credentials only, nothing of the caller's AWS setup. */
  env(): Record<string, string> {
    return { AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey, AWS_REGION: MOTO_REGION, AWS_EC2_METADATA_DISABLED: 'true' };
  }

  async stop(): Promise<void> {
    this.ec2.destroy();
    await this.daemon.stop();
  }

  /** A VPC with one subnet per zone and an instance per node (primary address, zone, type); node → instance id. */
  async vpc(cidr: string, subnets: Record<string, string>, instances: { node: string; zone: string; address: string; type: string }[]): Promise<Map<string, string>> {
    const vpc = (await this.ec2.send(new CreateVpcCommand({ CidrBlock: cidr }))).Vpc!;
    const subnetOf = new Map<string, string>();
    for (const [zone, block] of Object.entries(subnets)) {
      const s = await this.ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId!, CidrBlock: block, AvailabilityZone: zone }));
      subnetOf.set(zone, s.Subnet!.SubnetId!);
    }
    const image = (await this.ec2.send(new DescribeImagesCommand({}))).Images![0]!.ImageId!;
    const out = new Map<string, string>();
    for (const i of instances) {
      const r = await this.ec2.send(new RunInstancesCommand({
        ImageId: image, MinCount: 1, MaxCount: 1, InstanceType: i.type as never, SubnetId: subnetOf.get(i.zone)!, PrivateIpAddress: i.address,
      }));
      out.set(i.node, r.Instances![0]!.InstanceId!);
    }
    return out;
  }

  /** The instances whose ENIs carry ip, read from moto's state. */
  async holders(ip: string): Promise<string[]> {
    const enis = (await this.ec2.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces ?? [];
    return enis.filter((e) => (e.PrivateIpAddresses ?? []).some((a) => a.PrivateIpAddress === ip)).map((e) => e.Attachment?.InstanceId ?? e.NetworkInterfaceId!);
  }
}
