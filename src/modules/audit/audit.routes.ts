import type { RouteDefinition } from '../../http/route-definition';
import type { PageRequest } from '../../shared/pagination';
import type { AuditFilters } from './audit.repository';
import { auditLogQuery, auditPageSchema } from './audit.schemas';

export const auditRoutes: readonly RouteDefinition[] = [
  {
    method: 'get',
    path: '/admin/audit-log',
    summary: 'The audit trail, newest first, filtered by actor, action, entity type and time [from, to)',
    tags: ['admin logs'],
    access: 'audit_read',
    request: { query: auditLogQuery },
    responses: { 200: { description: 'Audit entries', schema: auditPageSchema } },
    handler: async (req, res) => {
      const { page, page_size, ...filters } = req.query as unknown as PageRequest & AuditFilters;
      res.json(await req.container.cradle.auditService.list(filters, { page, page_size }));
    },
  },
];
