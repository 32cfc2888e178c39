import { defineAdminFlows } from './flows.js';

// Every admin flow in Japanese (OS locale ja-JP); screenshots in test-results/screenshots/ja/.
defineAdminFlows('ja');
