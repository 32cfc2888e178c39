import { defineAdminFlows } from './flows.js';

// Every admin flow in English (OS locale en-US); screenshots in test-results/screenshots/en/.
defineAdminFlows('en');
