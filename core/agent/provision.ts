/**
 * Giving an agent its certificate: at installation (`agent --trust <cer>`) and as the manual
 * fix for an agent without a valid certificate (`agent import-cert <cer>`). Both replace the
 * trust state with the given certificate; its version is learnt from the server's signed feed
 * (TrustState.learnVersionFromHead / learnVersionFromChain), because a .cer file does not carry one.
 */
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { badInput } from '../errors.js';
import { createTrustState, isTrustError, type TrustState } from '../trust/index.js';
import { newAgentMeta, type AgentStorage } from './storage.js';
import { randomUUID } from 'node:crypto';

const MAX_CERTIFICATE_FILE_BYTES = 64 * 1024;

/** Reads a certificate file: DER (what `-e` writes) or PEM. */
export async function readCertificateFile(path: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw badInput('CERTIFICATE_UNREADABLE', `The certificate file ${path} cannot be read. Export it on the server with -e <file> and copy it here.`, {}, cause);
  }
  if (bytes.length > MAX_CERTIFICATE_FILE_BYTES) throw badInput('CERTIFICATE_TOO_LARGE', `${path} is ${bytes.length} bytes; a certificate is a few KiB. Give the file exported with -e.`);
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) {
    try {
      return new X509Certificate(bytes).raw;
    } catch (cause) {
      throw badInput('CERTIFICATE_INVALID', `${path} is not a readable certificate. Give the file exported with -e.`, {}, cause);
    }
  }
  return bytes;
}

export interface ImportResult {
  fingerprintSha256: string;
  subject: string;
  /** What the agent trusted before: a fingerprint, 'none' or 'unreadable'. */
  previous: { fingerprintSha256: string; version: number } | 'none' | 'unreadable';
  agentId: string;
}

/**
 * Replaces the agent's trust state with `der` (replay counters and the replaced list start
 * empty: the old state may be what was tampered with). The agent's id, settings and spooled
 * records are kept.
 */
export async function importTrustedCertificate(storage: AgentStorage, der: Buffer, now = new Date()): Promise<ImportResult> {
  let state: TrustState;
  try {
    // A .cer carries no version: the agent learns it from what the trusted key signs.
    state = createTrustState(der, { versionKnown: false });
  } catch (error) {
    if (isTrustError(error)) throw badInput('CERTIFICATE_INVALID', `The certificate cannot be trusted: ${error.message}`, { reason: error.reason }, error);
    throw error;
  }
  let previous: ImportResult['previous'] = 'none';
  try {
    const old = await storage.loadTrust();
    if (old) previous = { fingerprintSha256: old.state.fingerprintSha256, version: old.state.version };
  } catch (error) {
    if (!isTrustError(error)) throw error;
    previous = 'unreadable';
  }
  await storage.replaceTrust(state);
  let meta = await storage.loadMeta().catch(() => null);
  if (!meta) {
    meta = newAgentMeta(randomUUID(), now);
    await storage.saveMeta(meta);
  }
  return { fingerprintSha256: state.fingerprintSha256, subject: (new X509Certificate(der).subject ?? '').replace(/\n/g, ', '), previous, agentId: meta.agentId };
}
