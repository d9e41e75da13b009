import type { Principal } from '../../http/access-guard';
import type { RouteDefinition } from '../../http/route-definition';
import type { PageRequest } from '../../shared/pagination';
import type { NotificationStatus } from './notifications.repository';
import { createNotificationBody, notificationIdParams, notificationListQuery, notificationPageSchema, notificationSchema } from './notifications.schemas';
import type { NotificationRequest } from './notifications.service';

const tags = ['notifications'];

export const notificationRoutes: readonly RouteDefinition[] = [
  {
    method: 'post',
    path: '/notifications',
    summary: 'Queue a Telegram message to one user or to every active admin with a Telegram id, now or at send_at',
    description:
      'The message is plain text: it is HTML-escaped before Telegram sees it, and refused (422) when longer than 4096 characters once escaped. ' +
      'A message to the admins is one row, resolved into one row per admin when it is sent.',
    tags,
    access: 'notification_send',
    request: { body: createNotificationBody },
    responses: { 201: { description: 'Queued', schema: notificationSchema } },
    handler: async (req, res) => {
      res.status(201).json(await req.container.cradle.notificationService.create(req.principal as Principal, req.body as NotificationRequest));
    },
  },
  {
    method: 'get',
    path: '/notifications',
    summary: 'Notifications, newest first, filtered by status',
    tags,
    access: 'monitoring_read',
    request: { query: notificationListQuery },
    responses: { 200: { description: 'Notifications', schema: notificationPageSchema } },
    handler: async (req, res) => {
      const { page, page_size, status } = req.query as unknown as PageRequest & { status?: NotificationStatus };
      res.json(await req.container.cradle.notificationService.list({ status }, { page, page_size }));
    },
  },
  {
    method: 'delete',
    path: '/notifications/:id',
    summary: 'Cancel a pending notification: it is never sent, even if its job is already waiting',
    tags,
    access: 'notification_send',
    request: { params: notificationIdParams },
    responses: {
      204: { description: 'Cancelled' },
      404: { description: 'Notification not found' },
      409: { description: 'Already sent, failed, cancelled or being sent' },
    },
    handler: async (req, res) => {
      await req.container.cradle.notificationService.cancel((req.params as { id: string }).id);
      res.status(204).end();
    },
  },
];
