// The cloud-provider seam (issue 13). In a VPC the cloud delivers an address only to the interface its
// API assigned it to, so in cloud mode an egress IP is also an address of the gateway's cloud interface.
// A provider reads each node's interface and moves addresses between interfaces; everything it reads
// goes through the pure code in ipconfig.ts and plan.ts. AWS implements it today (aws.ts); Azure (a
// secondary IP configuration of the NIC) and GCP (an alias IP range of the instance's nic0) fit the
// same three calls.

/** A Node as the provider needs it. */
export interface CloudNodeRef {
  name: string;
  /** spec.providerID, e.g. aws:///us-east-1a/i-0123456789abcdef0 */
  providerID?: string;
}

/** One node's interface as the cloud reports it now. */
export interface CloudInterface {
  node: string;
  /** The cloud's id of the node's machine (AWS: the instance id). */
  instance: string;
  /** The interface egress IPs go on (AWS: the primary ENI). */
  interface: string;
  /** The subnet of the interface, CIDR text (IPv4). */
  subnet: string;
  /** Addresses the interface may carry in all, its primary one included (AWS: Ipv4AddressesPerInterface). */
  limit: number;
  /** The interface's primary address. */
  primary: string;
  /** Its other addresses now, in any order. */
  secondary: readonly string[];
}

/**
 * What the manager needs of a cloud. Writes are idempotent and state their end state, not a call
 * sequence; none relies on the cloud to refuse a wrong request (moto, for one, does not).
 */
export interface CloudProvider {
  /** The flag value, e.g. `aws`. */
  readonly name: string;
  /**
   * The interfaces of the nodes that run on this cloud (a node without a providerID of this cloud is
   * left out). Reads only.
   */
  describeNodes(nodes: readonly CloudNodeRef[]): Promise<CloudInterface[]>;
  /**
   * Afterwards `ip` is a secondary address of `to` and of none of `from` (the interfaces holding it
   * now). Does nothing that is already so.
   */
  assignIP(ip: string, to: CloudInterface, from: readonly CloudInterface[]): Promise<void>;
  /** Afterwards `ip` is not an address of `on`; does nothing if it is not there. */
  releaseIP(ip: string, on: CloudInterface): Promise<void>;
}
