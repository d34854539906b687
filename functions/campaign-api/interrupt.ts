import { type IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
// Pure leaf modules, not the folders' index.ts (ADR 0006).
import type { DeviceCommand } from '../../contracts/device.ts';
import { deviceTopic } from '../../devices/topics.ts';
import { commandIdFor } from '../../workflows/command-id.ts';
import { keys } from '../shared/table.ts';

/** The reserved command that stops one command at its device (docs/mqtt-contract.md § reserved commands). */
export const INTERRUPT = 'interrupt';

/** How long an interrupt is valid, in ms; devices handle it at once and never refuse it for its deadline. */
const INTERRUPT_DEADLINE_MS = 60_000;

/** What interrupting a campaign's in-flight commands works with. */
export interface InterruptDeps {
  db: DynamoDBDocumentClient;
  iot: IoTDataPlaneClient;
  table: string;
  labId: string;
  clock: { now(): number };
}

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
  deps: Pick<InterruptDeps, 'db' | 'table'>,
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
  deps: InterruptDeps,
): Promise<SentInterrupt[]> {
  const inFlight = await commandsInFlight(campaignId, experimentIds, deps);
  const now = deps.clock.now();
  return Promise.all(
    inFlight.map(async ({ commandId: target, deviceId }) => {
      const interrupt: DeviceCommand = {
        commandId: `${INTERRUPT}/${deps.labId}/${deviceId}/${target}`,
        deviceId,
        command: INTERRUPT,
        parameters: { commandId: target },
        issuedAt: now,
        deadline: now + INTERRUPT_DEADLINE_MS,
      };
      await deps.iot.send(
        new PublishCommand({
          topic: deviceTopic(deps.labId, deviceId, 'commands'),
          qos: 1,
          payload: new TextEncoder().encode(JSON.stringify(interrupt)),
          contentType: 'application/json',
          messageExpiry: INTERRUPT_DEADLINE_MS / 1000,
        }),
      );
      return { commandId: interrupt.commandId, deviceId, target };
    }),
  );
}
