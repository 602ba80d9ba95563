// `kubectl egress convert`: the commander subcommand. Offline: reads files or stdin, prints YAML.
import { Option, type Command } from 'commander';
import { CliError, Exit } from '../read.js';
import { ConvertError, type SourceObject } from './common.js';
import { convertManifests, SUPPORTED_KINDS } from './convert.js';
import { parseManifests, readAll, readManifestFiles, renderConverted, warningLines } from './manifests.js';

export interface ConvertIO {
  out: (s: string) => void;
  err: (s: string) => void;
  /** The whole of stdin (for `-f -`); process.stdin when absent. */
  stdin?: () => Promise<string>;
}

export interface ConvertFlags {
  filename: string[];
  namespace?: string;
  output?: 'yaml' | 'json';
}

const EXAMPLES = `
Reads: ${SUPPORTED_KINDS}.
Prints EgressIPPools, StaticEgressIPs and ClusterStaticEgressIPs ready for kubectl apply; what cannot be carried over is
printed as "# WARNING:" comments and on stderr. Exit 0 when converted (even with warnings), 2 when
an input cannot be read or converted (each problem names the file, the object and the field; nothing
is printed then).

Examples:
  kubectl egress convert -f kube-static-egress-ip.yaml | kubectl apply -f -
  kubectl get egressips.k8s.ovn.org,namespaces -o yaml | kubectl egress convert -f -
  kubectl get netnamespaces,hostsubnets -o yaml | kubectl egress convert -f - -o json
  kubectl egress convert -f egressipam.yaml -f namespaces/`;

/** The converted text; throws CliError (exit 2) listing every problem of the input. */
export async function convertCommand(flags: ConvertFlags, io: ConvertIO): Promise<string> {
  const readStdin = io.stdin ?? (() => readAll(process.stdin));
  const problems: string[] = [];
  const inputs: SourceObject[] = [];
  try {
    for (const { file, text } of await readManifestFiles(flags.filename, readStdin)) {
      try {
        inputs.push(...parseManifests(text, file));
      } catch (err) {
        if (!(err instanceof ConvertError)) throw err;
        problems.push(err.message);
      }
    }
  } catch (err) {
    if (!(err instanceof ConvertError)) throw err;
    problems.push(err.message);
  }
  const result = problems.length ? undefined : convertManifests(inputs, { defaultNamespace: flags.namespace ?? 'default' });
  problems.push(...(result?.errors ?? []));
  if (problems.length > 0 || !result) {
    throw new CliError(`nothing converted: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join('\n  ')}`}`, Exit.Usage);
  }
  for (const w of warningLines(result)) io.err(`warning: ${w}\n`);
  return renderConverted(result, flags.output ?? 'yaml');
}

export function registerConvert(program: Command, io: ConvertIO): void {
  program.command('convert')
    .description('convert the egress objects of kube-static-egress-ip, OVN-Kubernetes, OpenShift SDN and egressip-ipam-operator into EgressIPPools, StaticEgressIPs and ClusterStaticEgressIPs (offline)')
    .requiredOption('-f, --filename <path>', 'file, directory or - for stdin (YAML, several documents, or JSON; repeatable)', (v: string, acc?: string[]) => [...(acc ?? []), v])
    .option('-n, --namespace <ns>', 'namespace of namespaced inputs that name none', 'default')
    .addOption(new Option('-o, --output <format>', 'output format: yaml|json').choices(['yaml', 'json']).default('yaml'))
    .addHelpText('after', EXAMPLES)
    .action(async (flags: ConvertFlags) => { io.out(await convertCommand(flags, io)); });
}
