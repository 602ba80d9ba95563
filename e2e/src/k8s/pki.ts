// Local PKI for a test apiserver, made with openssl: a CA, the serving certificate, an admin client
// certificate (O=system:masters) and the ServiceAccount token signing key pair. EC P-256 keys: they
// are generated instantly, which RSA keys are not on a busy two-core machine.
import { execa } from 'execa';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  saPublicKey: string;
  saPrivateKey: string;
}

export interface ClientCert {
  cert: string;
  key: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await execa('openssl', args, { cwd: dir });
}

async function ecKey(dir: string, file: string): Promise<void> {
  await openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
}

/** Signs a certificate for `subject` with the CA in `pki`; `extensions` is an openssl v3 section body. */
async function signCert(pki: Pki, name: string, subject: string, extensions: string): Promise<ClientCert> {
  const key = join(pki.dir, `${name}.key`);
  const cert = join(pki.dir, `${name}.crt`);
  const csr = join(pki.dir, `${name}.csr`);
  const ext = join(pki.dir, `${name}.ext`);
  await ecKey(pki.dir, key);
  await openssl(pki.dir, ['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
  writeFileSync(ext, extensions);
  await openssl(pki.dir, ['x509', '-req', '-in', csr, '-CA', pki.caCert, '-CAkey', pki.caKey, '-CAcreateserial',
    '-days', '3650', '-sha256', '-extfile', ext, '-out', cert]);
  return { cert, key };
}

export async function createPki(dir: string, serviceIP: string): Promise<Pki> {
  mkdirSync(dir, { recursive: true });
  const f = (n: string): string => join(dir, n);
  const pki: Pki = {
    dir, caCert: f('ca.crt'), caKey: f('ca.key'), servingCert: f('serving.crt'), servingKey: f('serving.key'),
    adminCert: f('admin.crt'), adminKey: f('admin.key'), saPublicKey: f('sa.pub'), saPrivateKey: f('sa.key'),
  };
  await ecKey(dir, pki.caKey);
  await openssl(dir, ['req', '-x509', '-new', '-key', pki.caKey, '-subj', '/CN=static-egress-test-ca', '-days', '3650',
    '-sha256', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-out', pki.caCert]);
  const leaf = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n';
  await Promise.all([
    signCert(pki, 'serving', '/CN=kube-apiserver', `${leaf}extendedKeyUsage=serverAuth\n` +
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,' +
      `DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:${serviceIP}\n`),
    (async () => {
      await ecKey(dir, pki.saPrivateKey);
      await openssl(dir, ['pkey', '-in', pki.saPrivateKey, '-pubout', '-out', pki.saPublicKey]);
    })(),
  ]);
  // After the first signing so -CAcreateserial has written ca.srl before the next one reads it.
  await signCert(pki, 'admin', '/O=system:masters/CN=static-egress-admin', `${leaf}extendedKeyUsage=clientAuth\n`);
  return pki;
}

/** A client certificate for user `user` in `groups` (RBAC subjects of kind User/Group). */
export async function createClientCert(pki: Pki, user: string, groups: string[]): Promise<ClientCert> {
  const esc = (s: string): string => s.replace(/[/=\\]/g, '\\$&');
  const subject = groups.map((g) => `/O=${esc(g)}`).join('') + `/CN=${esc(user)}`;
  const name = `user-${user.replace(/[^a-zA-Z0-9_.-]/g, '_')}`;
  return signCert(pki, name, subject,
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
}

export function pemBase64(path: string): string {
  return readFileSync(path).toString('base64');
}
