/** core/fleet: the server side of the wire (signed feed, check-ins, auth-failure logs) and the app's fleet queries. */
export { startFleetServer, RESPONSE_TTL_SECONDS, type FleetServer, type FleetServerOptions } from './server.js';
export { buildFeed, loadFeedContent, loadFeedIdentity, publishFeed, writeFeed, type FeedContent, type FeedFile, type FeedIdentity, type FeedSnapshot, type HotfixContent, type PublishOptions } from './feed.js';
export { fleetService, watchFleet, type FleetService, type FleetView, type FleetWatch } from './service.js';
export { AgentRegistry, readAgentsFile } from './agents.js';
export { AuthFailureLog, FailureFileTail, FailureIndex } from './auth-failures.js';
export { SequenceCounter, sequenceTimeFloor } from './sequence.js';
export { clientsCsv, CLIENTS_CSV_HEADER, type ClientsCsvLabels } from './clients-csv.js';
export { csvCell, localTimeWithOffset, UTF8_BOM } from '../csv.js';
export { fleetPaths } from './paths.js';
export * from '../protocol/wire.js';
export { MessageSigner } from './signer.js';
