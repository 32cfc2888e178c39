import { defineAdminFlows } from './flows.js';

// The maintenance walk in Japanese (OS locale ja-JP), switching to English at its settings step;
// the expiry-warning and import flows in English (OS locale en-US). See flows.ts.
defineAdminFlows('ja');
