import { notificationWorkerDefinitions } from '../src/modules/notifications/notification-jobs';
import { webhookWorkerDefinitions } from '../src/modules/webhooks/webhook-worker';
import { runWorkerProcess } from '../src/worker-process';

/**
 * Every worker kind in one process: `npm run start:workers` (dist), `npm run worker:all` (dev).
 * For a host or container running a single command; the PM2 manifest (ecosystem.config.js) runs
 * each kind in processes of its own instead, so they scale and fail apart.
 */
runWorkerProcess('all', (config) => [...webhookWorkerDefinitions(config), ...notificationWorkerDefinitions(config)]);
