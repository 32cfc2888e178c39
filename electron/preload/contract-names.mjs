// The contract's operation and event names, read from core/api/contract.ts at build time and
// compiled into the preload as the constant __CONTRACT_NAMES__ (Vite's `define`).
//
// Why at build time: the sandboxed preload may require only `electron`, and bundling the
// contract would bring zod into it. Reading the names from the contract itself means they are
// written once (a new operation is one contract entry), and the built preload cannot miss one.
import path from 'node:path';
import { runnerImport } from 'vite';

/** @param {string} repoRoot @returns {Promise<Record<string, string>>} Vite `define` entries */
export async function contractNamesDefine(repoRoot) {
  const { module } = await runnerImport(path.join(repoRoot, 'core/api/contract.ts'), { configFile: false, logLevel: 'error' });
  const names = { operations: module.OPERATION_KEYS, events: module.EVENT_KEYS };
  if (!Array.isArray(names.operations) || names.operations.length === 0 || !Array.isArray(names.events))
    throw new Error('core/api/contract.ts did not export OPERATION_KEYS and EVENT_KEYS');
  return { __CONTRACT_NAMES__: JSON.stringify(names) };
}
