import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { parseWith } from '../../contracts/errors.ts';
// A pure leaf, not devices/index.ts (ADR 0006).
import { EMERGENCY_STOP } from '../../devices/reserved.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { labDevices } from '../shared/devices.ts';
import { actorOf, type Principal, requireRole } from '../shared/http-api.ts';
import { keys } from '../shared/table.ts';
import { type ActionResult, actOnCampaign, runningExecutions } from './operator.ts';
import { publishReserved } from './reserved.ts';
import { EmergencyStopRequestSchema } from './schemas.ts';
import type { CampaignApiDeps } from './start.ts';

/** What an emergency stop did: the devices told to halt (and any it could not reach), the campaigns aborted. */
export interface EmergencyStopResult {
  ok: boolean;
  at: number;
  by: string;
  /** Every device that was online, with the `emergencyStop` command published to it. */
  halted: Array<{ deviceId: string; kind: string; commandId: string }>;
  /** Online devices whose command could not be published: the error, so a person goes to the instrument. */
  unreached: Array<{ deviceId: string; kind: string; error: string }>;
  /** Every campaign that was running, aborted as by the abort action (experiments stopped, commands interrupted). */
  aborted: ActionResult[];
}

/**
 * The lab's emergency stop, as the local runtime's (docs/reliability.md): the reserved `emergencyStop` goes to every
 * online device of the lab first (halt now, safe state, refuse commands until a person resets it), then every
 * running campaign is aborted. Never refused for the campaigns' state, and available with no campaign running.
 * Recorded (`LAB`/`ESTOP#…`) with who, why and what it reached. Answers 202, or 502 when a device could not be
 * reached (the answer names it).
 */
export async function emergencyStop(
  body: unknown,
  principal: Principal,
  deps: CampaignApiDeps,
): Promise<{ status: 202 | 502; body: EmergencyStopResult }> {
  const request = parseWith(EmergencyStopRequestSchema, body ?? {}, 'emergency stop request');
  requireRole(principal, 'emergency-stop');
  const by = actorOf(principal);
  const at = deps.clock.now();
  const online = (await labDevices(deps.db, deps.table)).filter((d) => d.online);
  const sent = await Promise.all(
    online.map(async ({ deviceId, kind }) => {
      const commandId = `${EMERGENCY_STOP}/${deps.labId}/${deviceId}/${at}`;
      try {
        await publishReserved(deps, { commandId, deviceId, command: EMERGENCY_STOP, parameters: {} });
        return { deviceId, kind, commandId };
      } catch (error) {
        return { deviceId, kind, error: `${(error as Error).name}: ${(error as Error).message}` };
      }
    }),
  );
  const halted = sent.filter((s): s is EmergencyStopResult['halted'][number] => s.commandId !== undefined);
  const unreached = sent.filter((s): s is EmergencyStopResult['unreached'][number] => s.error !== undefined);
  const aborted: ActionResult[] = [];
  const why = request.why ?? 'emergency stop';
  const campaigns = await runningExecutions(deps.campaignStateMachineArn, deps);
  for (const campaignId of campaigns.flatMap((e) => (e.name ? [e.name] : []))) {
    try {
      aborted.push((await actOnCampaign(campaignId, { action: 'abort', why }, principal, deps)).body);
    } catch (error) {
      // Ended between the listing and the abort: nothing left to stop.
      if (!(error instanceof ConflictError || error instanceof NotFoundError)) throw error;
    }
  }
  await deps.db.send(
    new PutCommand({
      TableName: deps.table,
      Item: {
        ...keys.emergencyStop(at, by),
        at,
        by,
        ...(request.why ? { why: request.why } : {}),
        halted: halted.map((h) => h.deviceId),
        unreached: unreached.map((u) => u.deviceId),
        aborted: aborted.map((a) => a.campaignId),
      },
    }),
  );
  return {
    status: unreached.length > 0 ? 502 : 202,
    body: { ok: unreached.length === 0, at, by, halted, unreached, aborted },
  };
}
