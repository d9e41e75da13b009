import { webhookWorkerDefinitions } from '../src/modules/webhooks/webhook-worker';
import { runWorkerProcess } from '../src/worker-process';

/** The webhook worker process: `npm run worker:webhooks` (dev), `npm run start:worker:webhooks` (dist). */
runWorkerProcess('webhooks', webhookWorkerDefinitions);
