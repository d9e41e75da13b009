import { notificationWorkerDefinitions } from '../src/modules/notifications/notification-jobs';
import { runWorkerProcess } from '../src/worker-process';

/** The notification worker process: `npm run worker:notifications` (dev), `npm run start:worker:notifications` (dist). */
runWorkerProcess('notifications', notificationWorkerDefinitions);
