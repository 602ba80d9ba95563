// npm run lab -- up [--nodes 3] [--pods 1] [--overlay] [--managers 2] [--no-daemons] [--ip-families IPv4,IPv6|IPv6]
//                 status [--prefix P]
//                 down [--prefix P] | down --all [--force] [--keep-logs]
//
// `up` stays in the foreground (the apiserver, etcd and every daemon are its children) and prints the
// status once the lab is ready; Ctrl-C, SIGTERM or `lab down` from another terminal tears it all down.
// The run's state (prefix, pids, logs) lives in ${XDG_RUNTIME_DIR:-/run}/static-egress-lab/<prefix>/.
import { parseArgs } from 'node:util';
import { downAll, downRun } from './cleanup.js';
import { Lab } from './lab.js';
import { parseLabIPFamilies, type LabIPFamily } from './ipv6.js';
import { listStates, pidAlive } from './state.js';
import { renderStatus, statusOfState } from './status.js';

const USAGE = `usage: npm run lab -- up [--nodes N] [--pods P] [--overlay] [--managers M] [--no-daemons] [--ip-families IPv4|IPv4,IPv6|IPv6]
       npm run lab -- status [--prefix P]
       npm run lab -- down [--prefix P]
       npm run lab -- down --all [--force] [--keep-logs]
  down --all removes every run whose owner process is gone and whatever belongs to no live run;
  runs whose owner is alive (another suite, bench or lab up) are left alone unless --force.`;

async function main(): Promise<number> {
  const [cmd, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: {
      nodes: { type: 'string', default: '3' },
      pods: { type: 'string', default: '1' },
      managers: { type: 'string', default: '2' },
      overlay: { type: 'boolean', default: false },
      'no-daemons': { type: 'boolean', default: false },
      'ip-families': { type: 'string', default: 'IPv4' },
      prefix: { type: 'string' },
      all: { type: 'boolean', default: false },
      'keep-logs': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
    },
  });
  const say = (m: string): void => { process.stderr.write(`[lab] ${m}\n`); };
  switch (cmd) {
    case 'up':
      return up(Number(values.nodes), Number(values.managers), values.overlay, !values['no-daemons'], Number(values.pods),
        parseLabIPFamilies(values['ip-families'].split(',')));
    case 'status': {
      const runs = pick(values.prefix);
      if (runs.length === 0) { console.log('no lab running'); return 0; }
      for (const s of runs) console.log(await statusOfState(s));
      return 0;
    }
    case 'down': {
      if (values.all) { await downAll(say, { keepLogs: values['keep-logs'], force: values.force }); return 0; }
      const runs = pick(values.prefix);
      if (runs.length === 0) { say('no lab running (use down --all for leftovers)'); return 0; }
      if (runs.length > 1 && !values.prefix) {
        say(`several labs: ${runs.map((r) => r.prefix).join(' ')}; pass --prefix or use --all`);
        return 2;
      }
      for (const s of runs) await downRun(s, say);
      say('done');
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

function pick(prefix: string | undefined) {
  return listStates().filter((s) => (prefix ? s.prefix === prefix : true));
}

async function up(nodes: number, managers: number, overlay: boolean, daemons: boolean, pods: number, ipFamilies: LabIPFamily[]): Promise<number> {
  const running = listStates().filter((s) => pidAlive(s.ownerPid));
  if (running.length) {
    console.error(`[lab] note: another lab is running (${running.map((s) => s.prefix).join(' ')}); starting a second one`);
  }
  const lab = await Lab.up({ nodes, managers, overlay, daemons, ipFamilies });
  let stopping = false;
  const stop = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    lab.log(`${sig}: tearing down`);
    void lab.down().finally(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  if (pods > 0) {
    // A namespace the usual demo pool admits, and pods to point a StaticEgressIP at.
    await lab.ensureNamespace('demo', { egress: 'allowed' });
    for (const i of lab.nodeIndexes) {
      for (let j = 1; j <= pods; j++) await lab.addPod({ namespace: 'demo', name: `web-${i}-${j}`, node: i, labels: { app: 'web' } });
    }
  }
  console.log(await renderStatus(lab));
  console.log(`\nlab ${lab.prefix} is up. In another terminal:
  npm run lab -- status             # nodes, agents, who holds which egress IP
  ip netns exec ${lab.names.podNs(1)} socat - TCP:198.51.100.10:8080   # act as pod demo/web-1-1
  KUBECONFIG=${lab.cluster.adminKubeconfigPath} ${lab.cluster.binaries.kubectl} get seip -A
  npm run lab -- down               # or Ctrl-C here
logs: ${lab.logDir}`);
  // Stay in the foreground; the daemons are children of this process.
  await new Promise<never>(() => undefined);
  return 0;
}

main().then((code) => { if (code !== 0 || process.argv[2] !== 'up') process.exit(code); }, (err: unknown) => {
  console.error(`[lab] ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
