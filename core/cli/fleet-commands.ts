/** serve, agent and -l: the server side and the reference agent (core/fleet, core/agent). */
import { usageError } from '../errors.js';
import type { Command } from './parse.js';
import type { CliIo } from './main.js';

export interface FleetCommandContext {
  dataDir: string;
  json: boolean;
  io: CliIo;
  out: (text: string) => void;
}

export async function runFleetCommand(command: Extract<Command, { name: 'list-clients' | 'serve' | 'agent' }>, _context: FleetCommandContext): Promise<number> {
  throw usageError('NOT_AVAILABLE', `${command.name} is not available in this build.`);
}
