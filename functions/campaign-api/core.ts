import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { parseWith } from '../../contracts/errors.ts';
import { NotFoundError } from '../errors.ts';
import { type ApiRequest, type ApiResponse, requireRole } from '../shared/http-api.ts';
import { queuedEvents } from '../shared/operator-events.ts';
import { keys } from '../shared/table.ts';
import { emergencyStop } from './emergency-stop.ts';
import { actOnCampaign, campaignExecution } from './operator.ts';
import { CAMPAIGN_API_ROUTES } from './routes.ts';
import { CampaignIdSchema } from './schemas.ts';
import { type CampaignApiDeps, startCampaign } from './start.ts';

/** A campaign as `GET /api/campaigns/{campaignId}` reports it. */
export interface CampaignStatus {
  campaignId: string;
  /** The execution's status: `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED`. */
  status: string;
  startedAt: string | undefined;
  stoppedAt: string | undefined;
  startedBy: string | undefined;
  /** The campaign machine's output (`CampaignOutput`: reason, progress, best) once it has ended. */
  output: unknown;
  /** Set while the campaign waits for an operator (paused): the state and the events it accepts. */
  waiting: { state: string; accepts: string[] } | undefined;
  /** Operator events queued and not yet read by the campaign, oldest first. */
  queued: Array<{ type: string; seq: number; by?: string }>;
  error: string | undefined;
  cause: string | undefined;
}

async function campaignStatus(campaignId: string, deps: CampaignApiDeps): Promise<CampaignStatus> {
  const execution = await campaignExecution(campaignId, deps);
  const [meta, wait, queued] = await Promise.all([
    deps.db.send(new GetCommand({ TableName: deps.table, Key: keys.campaign(campaignId) })),
    deps.db.send(new GetCommand({ TableName: deps.table, Key: keys.operatorWait(campaignId) })),
    queuedEvents(deps.db, deps.table, campaignId),
  ]);
  return {
    campaignId,
    status: execution.status ?? 'UNKNOWN',
    startedAt: execution.startDate?.toISOString(),
    stoppedAt: execution.stopDate?.toISOString(),
    startedBy: meta.Item?.startedBy as string | undefined,
    output: execution.output === undefined ? undefined : JSON.parse(execution.output),
    waiting: wait.Item
      ? { state: String(wait.Item.state), accepts: (wait.Item.accepts as string[] | undefined) ?? [] }
      : undefined,
    queued: queued.map((e) => ({ type: e.type, seq: e.seq, ...(e.by ? { by: e.by } : {}) })),
    error: execution.error,
    cause: execution.cause,
  };
}

async function listCampaigns(deps: CampaignApiDeps) {
  const page = await deps.sfn.send(
    new ListExecutionsCommand({ stateMachineArn: deps.campaignStateMachineArn, maxResults: 100 }),
  );
  return (page.executions ?? []).map((e) => ({
    campaignId: e.name,
    status: e.status,
    startedAt: e.startDate?.toISOString(),
    stoppedAt: e.stopDate?.toISOString(),
  }));
}

/**
 * The campaign API behind API Gateway (HTTP API, Cognito JWT authorizer): start a campaign, act on it (pause,
 * pause-now, resume, stop, abort, approve, reject, emergency-stop), stop the whole lab in an emergency, read a
 * campaign's status, list campaigns, and say who the caller is.
 * Roles come from the caller's Cognito groups and are checked here (viewer < operator < approver, as on the
 * local dashboard); bodies are Zod-checked and a bad one is a 400 naming each field.
 *
 * @example
 * await campaignApi(
 *   { routeKey: 'POST /api/campaigns/{campaignId}/actions', params: { campaignId: 'colour-1' },
 *     body: { action: 'pause', why: 'refill' }, principal: { name: 'ana', role: 'operator' } },
 *   deps,
 * ); // { status: 202, body: { ok: true, event: { type: 'PAUSE', seq: 3 }, delivered: false, … } }
 */
export async function campaignApi(request: ApiRequest, deps: CampaignApiDeps): Promise<ApiResponse> {
  const { principal } = request;
  const campaignId = () => parseWith(CampaignIdSchema, request.params.campaignId, 'campaignId in the path');
  switch (request.routeKey as (typeof CAMPAIGN_API_ROUTES)[number]) {
    case 'GET /api/session':
      requireRole(principal, 'read');
      return { status: 200, body: { you: principal, lab: deps.labId } };
    case 'GET /api/campaigns':
      requireRole(principal, 'read');
      return { status: 200, body: await listCampaigns(deps) };
    case 'POST /api/campaigns':
      requireRole(principal, 'start');
      return startCampaign(request.body, principal, deps);
    case 'GET /api/campaigns/{campaignId}':
      requireRole(principal, 'read');
      return { status: 200, body: await campaignStatus(campaignId(), deps) };
    case 'POST /api/campaigns/{campaignId}/actions':
      return actOnCampaign(campaignId(), request.body, principal, deps);
    case 'POST /api/lab/emergency-stop':
      return emergencyStop(request.body, principal, deps);
  }
  throw new NotFoundError(
    `no API route ${request.routeKey}; campaign-api answers ${CAMPAIGN_API_ROUTES.join(', ')}`,
  );
}
