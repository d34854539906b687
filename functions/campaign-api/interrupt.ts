import { GetCommand } from '@aws-sdk/lib-dynamodb';
// Pure leaf modules, not the folders' index.ts (ADR 0006).
import type { DeviceCommand } from '../../contracts/device.ts';
import { INTERRUPT } from '../../devices/reserved.ts';
import { commandIdFor } from '../../workflows/command-id.ts';
import { keys } from '../shared/table.ts';
import { publishReserved, type ReservedDeps } from './reserved.ts';

/** One interrupt sent: the command it stops, on which device, under which id. */
export interface SentInterrupt {
  commandId: string;
  deviceId: string;
  target: string;
}

/**
 * The commands of `experimentIds` that were dispatched and have no outcome (`status: 'sent'` on their `CMD#`
 * items, which dispatch-command writes and device-event settles). Command ids are `<experiment>/<step>/<attempt>`
 * and the steps run in order, attempts counting up from 1, so each experiment is probed step by step, attempt by
 * attempt, until the first command that was never dispatched.
 */
export async function commandsInFlight(
  campaignId: string,
  experimentIds: string[],
  deps: Pick<ReservedDeps, 'db' | 'table'>,
): Promise<DeviceCommand[]> {
  if (experimentIds.length === 0) return [];
  const campaign = await deps.db.send(
    new GetCommand({ TableName: deps.table, Key: keys.campaign(campaignId), ConsistentRead: true }),
  );
  const steps = ((campaign.Item?.spec as { protocol?: { steps?: Array<{ name: string }> } } | undefined)
    ?.protocol?.steps ?? []) as Array<{ name: string }>;
  const get = async (commandId: string) =>
    (
      await deps.db.send(
        new GetCommand({ TableName: deps.table, Key: keys.command(commandId), ConsistentRead: true }),
      )
    ).Item;
  const perExperiment = await Promise.all(
    experimentIds.map(async (experimentId) => {
      const found: DeviceCommand[] = [];
      for (const step of steps) {
        let attempt = 1;
        for (;;) {
          const item = await get(commandIdFor(experimentId, step.name, attempt));
          if (!item) break;
          if (item.status === 'sent') found.push(item.command as DeviceCommand);
          attempt += 1;
        }
        // A step that was never dispatched: the later ones were not either.
        if (attempt === 1) break;
      }
      return found;
    }),
  );
  return perExperiment.flat();
}

/**
 * Sends the reserved `interrupt { commandId }` for every command of `experimentIds` still in flight, through IoT
 * Core on the device's commands topic, as the local runtime does on pause now and abort (ADR 0011). The id derives
 * from the target (`interrupt/<lab>/<device>/<target>`), so asking twice is one interrupt at the device; the
 * device answers `Interrupted` to the target, which device-event stores as the command's outcome.
 */
export async function interruptCommands(
  campaignId: string,
  experimentIds: string[],
  deps: ReservedDeps,
): Promise<SentInterrupt[]> {
  const inFlight = await commandsInFlight(campaignId, experimentIds, deps);
  return Promise.all(
    inFlight.map(async ({ commandId: target, deviceId }) => {
      const commandId = `${INTERRUPT}/${deps.labId}/${deviceId}/${target}`;
      await publishReserved(deps, {
        commandId,
        deviceId,
        command: INTERRUPT,
        parameters: { commandId: target },
      });
      return { commandId, deviceId, target };
    }),
  );
}
