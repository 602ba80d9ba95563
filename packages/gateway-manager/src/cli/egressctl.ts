// kubectl egress (also installed as egressctl): read-only answers for operators and tenants.
// The program: commander's command tree, the kubeconfig, and exit codes. See `kubectl egress --help`.
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import type { KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig } from '@static-egress/controller-kit';
import { explainCommand, nodesCommand, poolsCommand, statusCommand, traceCommand, type Scope } from './commands.js';
import { registerConvert } from './convert/command.js';
import { CliError, ClusterReader, Exit } from './read.js';
import type { OutputFormat } from './render.js';

const EXIT_CODES = `
Exit codes:
  0  done (trace: the packet leaves, with an egress IP or the node IP)
  1  the API server could not be reached, or an unexpected error
  2  bad command line (convert: an input cannot be read or converted)
  3  the object was not found
  4  not allowed: your account may not read it (the message names what)
  5  trace: the packet is dropped (no gateway holds its egress IP) or not programmed yet`;

const EXAMPLES = `
Examples:
  kubectl egress status -n shop             which egress IP each policy of shop has, and where
  kubectl egress trace shop/web-1 198.51.100.10
                                            which address web-1 leaves with, and why
  kubectl egress status -A -o wide          is everything programmed?
  kubectl egress pools                      how full are my pools?
  kubectl egress convert -f old-egress.yaml convert another system's objects (see convert --help)`;

export interface CliIO {
  out: (s: string) => void;
  err: (s: string) => void;
  /** The whole of stdin, for `convert -f -` (process.stdin when absent). */
  stdin?: () => Promise<string>;
  /** Builds the API reader (tests pass their own kubeconfig). */
  connect?: (kubeconfig: string | undefined, context: string | undefined) => { reader: ClusterReader; namespace: string };
}

function defaultConnect(kubeconfig: string | undefined, context: string | undefined) {
  let kc: KubeConfig;
  try {
    kc = loadKubeConfig(kubeconfig);
    if (context) kc.setCurrentContext(context);
  } catch (err) {
    throw new CliError(`${(err as Error).message} (set --kubeconfig or KUBECONFIG)`, Exit.Error);
  }
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  return { reader: new ClusterReader(kc), namespace };
}

const outputOption = (choices: OutputFormat[]) =>
  new Option('-o, --output <format>', `output format: ${choices.join('|')}`).choices(choices);

export function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const connect = io.connect ?? defaultConnect;
  const program = new Command('kubectl egress')
    .description('Stable egress IPs: which address a pod leaves with and why, what is programmed, how full the pools are.')
    .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config or in-cluster)')
    .option('--context <name>', 'kubeconfig context to use')
    .addHelpText('after', `${EXAMPLES}\n${EXIT_CODES}`)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();
  const api = () => connect(program.opts()['kubeconfig'], program.opts()['context']);
  const scopeOf = (o: { namespace?: string; allNamespaces?: boolean; output?: OutputFormat }, ns: string): Scope => ({
    namespace: o.allNamespaces ? undefined : (o.namespace ?? ns), output: o.output ?? 'table',
  });
  program.command('status')
    .description('policies with each egress IP, the node holding it, and Ready')
    .option('-n, --namespace <ns>', 'namespace (default: the context\'s)')
    .option('-A, --all-namespaces', 'every namespace, and the ClusterStaticEgressIPs as cseip/NAME (needs cluster-wide read)')
    .addOption(outputOption(['wide', 'json', 'yaml']))
    .action(async (o) => { const c = api(); io.out(`${await statusCommand(c.reader, scopeOf(o, c.namespace))}\n`); });
  program.command('explain').argument('<policy>', 'NAME (in -n), NAMESPACE/NAME, or cseip/NAME for a ClusterStaticEgressIP')
    .description('one policy: its egress IPs, where they are held, and every condition with its message')
    .option('-n, --namespace <ns>', 'namespace (default: the context\'s)')
    .addOption(outputOption(['json', 'yaml']))
    .action(async (ref: string, o) => { const c = api(); io.out(`${await explainCommand(c.reader, ref, scopeOf(o, c.namespace))}\n`); });
  program.command('pools')
    .description('each EgressIPPool: capacity, allocated, held, used %, and held addresses per zone')
    .addOption(outputOption(['json', 'yaml']))
    .action(async (o) => { io.out(`${await poolsCommand(api().reader, o.output ?? 'table')}\n`); });
  program.command('nodes')
    .description('gateway nodes: health, egress IPs held, capacity, and what their agent reports')
    .addOption(outputOption(['json', 'yaml']))
    .action(async (o) => { io.out(`${await nodesCommand(api().reader, o.output ?? 'table')}\n`); });
  program.command('trace').argument('<pod>', 'POD (in -n) or NAMESPACE/POD').argument('<destination>', 'destination IP address')
    .description('the path of a packet from POD to DESTINATION: policy, destination match, egress IP, gateway, what the agents programmed, and a one-line verdict')
    .option('-n, --namespace <ns>', 'namespace (default: the context\'s)')
    .option('--cluster-cidrs <cidrs>', 'pod and service CIDRs (the agents\' CLUSTER_CIDRS), comma separated')
    .addOption(outputOption(['json', 'yaml']))
    .action(async (pod: string, dest: string, o) => {
      const c = api();
      const r = await traceCommand(c.reader, pod, dest, {
        namespace: o.namespace ?? c.namespace, output: o.output ?? 'table',
        ...(o.clusterCidrs ? { clusterCIDRs: String(o.clusterCidrs).split(',').filter(Boolean) } : {}),
      });
      io.out(`${r.text}\n`);
      setExit(r.code);
    });
  registerConvert(program, io);
  for (const cmd of program.commands) cmd.showHelpAfterError(`(run: kubectl egress ${cmd.name()} --help)`).configureOutput({ writeOut: io.out, writeErr: io.err }).exitOverride();
  return program;
}

/** Runs the CLI; resolves to the exit code (never exits the process itself). */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let code: number = Exit.OK;
  const program = buildProgram(io, (c) => { code = c; });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return Exit.OK;
      if (err.code === 'commander.help') return Exit.Usage; // no command given: help went to stderr
      return Exit.Usage;
    }
    if (err instanceof CliError) {
      io.err(`error: ${err.message}\n`);
      return err.exitCode;
    }
    io.err(`error: ${(err as Error).message?.split('\n')[0] ?? String(err)}\n`);
    return Exit.Error;
  }
}

/** The process entry (also called by bin/kubectl-egress.mjs). */
export async function main(argv: readonly string[]): Promise<void> {
  const io: CliIO = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };
  process.exitCode = await runCli(argv, io);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main(process.argv.slice(2));
