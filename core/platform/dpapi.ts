/**
 * The private key at rest on Windows: DPAPI in machine scope (CryptProtectData with
 * CRYPTPROTECT_LOCAL_MACHINE), what Windows gives a machine-wide service. The blob opens only
 * on this machine, for any process running on it (the administrators-only ACL on the file
 * decides who may read it); copied to another machine (a stolen disk image, a copied data
 * folder, a backup of ProgramData) it is useless. It does not stop an administrator of this
 * machine, which is what "not exportable" (-re) also cannot promise; see docs/security.md.
 *
 * Done through Windows PowerShell's [System.Security.Cryptography.ProtectedData] so that no
 * native module is needed. The key travels on standard input and output only, base64-encoded,
 * never on the command line (which other users can see in the process list). PowerShell is
 * run by its full path under %SystemRoot%, never looked up on PATH.
 *
 * The platform and the command runner are injected, so the Windows logic is tested on Linux.
 */
import { execFile } from 'node:child_process';

/** Runs `file` with `args`, writes `stdin` to it, and resolves with what it printed. */
export type StdinRunner = (file: string, args: string[], stdin: string) => Promise<string>;

interface DpapiOptions {
  platform?: NodeJS.Platform;
  run?: StdinRunner;
  /** %SystemRoot%; default from the environment, else C:\Windows. */
  systemRoot?: string;
}

/** Binds a blob to this product: another program calling Unprotect without it gets nothing. */
const DPAPI_ENTROPY = 'CertificateManager private key at rest v1';

const PEM_LABEL = 'CERTIFICATEMANAGER DPAPI PROTECTED KEY';
const BEGIN = `-----BEGIN ${PEM_LABEL}-----`;
const END = `-----END ${PEM_LABEL}-----`;

function script(operation: 'Protect' | 'Unprotect'): string {
  return [
    "$ErrorActionPreference = 'Stop'",
    'Add-Type -AssemblyName System.Security',
    '$data = [Convert]::FromBase64String([Console]::In.ReadToEnd().Trim())',
    `$entropy = [Text.Encoding]::UTF8.GetBytes('${DPAPI_ENTROPY}')`,
    `$out = [System.Security.Cryptography.ProtectedData]::${operation}($data, $entropy, 'LocalMachine')`,
    '[Console]::Out.Write([Convert]::ToBase64String($out))',
  ].join('; ');
}

/** The PowerShell command line (no secret in it) for one DPAPI operation. */
export function dpapiCommand(operation: 'Protect' | 'Unprotect', systemRoot: string): { file: string; args: string[] } {
  return {
    file: `${systemRoot}\\System32\\WindowsPowerShell\\v1.0\\powershell.exe`,
    args: ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', script(operation)],
  };
}

const defaultRunner: StdinRunner = (file, args, stdin) =>
  new Promise((resolve, reject) => {
    const child = execFile(file, args, { windowsHide: true, maxBuffer: 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    child.stdin?.end(stdin);
  });

async function run(operation: 'Protect' | 'Unprotect', data: Buffer, options: DpapiOptions): Promise<Buffer> {
  const systemRoot = options.systemRoot ?? process.env['SystemRoot'] ?? 'C:\\Windows';
  const { file, args } = dpapiCommand(operation, systemRoot);
  const out = (await (options.run ?? defaultRunner)(file, args, data.toString('base64'))).trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(out)) throw new Error(`DPAPI ${operation} returned no data`);
  return Buffer.from(out, 'base64');
}

const onWindows = (options: DpapiOptions) => (options.platform ?? process.platform) === 'win32';

/** The bytes to write as key.pem: the PEM itself, or on Windows its DPAPI blob in a PEM frame. */
export async function protectKeyAtRest(privateKeyPem: string, options: DpapiOptions = {}): Promise<string> {
  if (!onWindows(options)) return privateKeyPem;
  const blob = await run('Protect', Buffer.from(privateKeyPem, 'utf8'), options);
  const lines = blob.toString('base64').match(/.{1,64}/g) ?? [];
  return [BEGIN, ...lines, END, ''].join('\n');
}

/** Whether key.pem holds a DPAPI blob (written on Windows) rather than a plain PEM key. */
const isProtectedAtRest = (text: string) => text.trimStart().startsWith(BEGIN);

/**
 * The PEM key from what key.pem holds. A plain key (a store from before, or from Linux) is
 * returned as it is; a blob is opened with DPAPI, which works only on the machine that made it.
 */
export async function openKeyAtRest(fileText: string, options: DpapiOptions = {}): Promise<string> {
  if (!isProtectedAtRest(fileText)) return fileText;
  const body = fileText.trim().slice(BEGIN.length, -END.length).replace(/\s+/g, '');
  if (!fileText.trim().endsWith(END) || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new Error('The protected key file is not complete');
  if (!onWindows(options)) throw new Error('This key is protected with Windows DPAPI and opens only on the Windows machine that wrote it');
  return (await run('Unprotect', Buffer.from(body, 'base64'), options)).toString('utf8');
}
