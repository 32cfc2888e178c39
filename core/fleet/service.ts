/**
 * The fleet queries the app shows (agents, clients without a valid certificate, auth-failure
 * logs). Placeholder until core/fleet lands: an empty fleet.
 */
import type { AgentRecord, AuthFailurePage, AuthFailureQuery, FleetSummary } from '../api/schemas.js';

export interface FleetService {
  summary(): Promise<FleetSummary>;
  clientsWithoutValidCertificate(request: { offset: number; limit: number }): Promise<{ total: number; agents: AgentRecord[] }>;
  exportClientsCsv(path: string): Promise<{ path: string; count: number }>;
  queryAuthFailures(query: AuthFailureQuery): Promise<AuthFailurePage>;
}

export function fleetService(_dataDir: string): FleetService {
  return {
    summary: async () => ({ total: 0, trustingCurrent: 0, withoutValidCertificate: 0 }),
    clientsWithoutValidCertificate: async () => ({ total: 0, agents: [] }),
    exportClientsCsv: async (path) => ({ path, count: 0 }),
    queryAuthFailures: async (q) => ({ total: 0, offset: q.offset ?? 0, records: [], reasons: [] }),
  };
}
