import type { RemnawaveClient } from '../../integrations/remnawave/remnawave.client';
import type { PanelCall } from '../../integrations/remnawave/remnawave.transport';
import type { AuditService } from '../audit/audit.service';
import type { PanelRoute, PanelRouteInput } from './panel-route';

/**
 * Runs a row of the pass-through table: one panel call (errors mapped by the client as for every
 * other route), the reply in our shape, then the audit entry of a change.
 */
export class PanelPassThroughService {
  private readonly remnawaveClient: RemnawaveClient;
  private readonly auditService: AuditService;

  constructor({ remnawaveClient, auditService }: { remnawaveClient: RemnawaveClient; auditService: AuditService }) {
    this.remnawaveClient = remnawaveClient;
    this.auditService = auditService;
  }

  async run(route: PanelRoute, input: PanelRouteInput): Promise<unknown> {
    const { command } = route;
    const call: PanelCall = {
      method: command.method,
      path: command.path(input),
      entity: route.entity,
      ...(command.query && { query: command.query(input) }),
      ...(command.body && { body: command.body(input) }),
      ...(command.idempotent !== undefined && { idempotent: command.idempotent }),
      ...(route.upstream && { reply: route.upstream }),
    };
    const reply = await this.remnawaveClient.call<unknown>(call);
    const result = route.present ? route.present(reply, input) : reply;
    if (route.audit) {
      const { action, entityType, entityId, value } = route.audit;
      await this.auditService.record({ action, entityType, entityId: entityId(result, input), ...(value && { newValue: value(result, input) }) });
    }
    return result;
  }
}
