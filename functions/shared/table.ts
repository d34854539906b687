/**
 * Keys of the single DynamoDB table (`pk`, `sk`). One item family per prefix, so an item's key says what it is.
 *
 * | item | pk | sk |
 * |---|---|---|
 * | a command and its task token | `CMD#<commandId>` | `CMD` |
 * | a campaign | `CAMPAIGN#<id>` | `META` |
 * | a proposal / experiment | `CAMPAIGN#<id>` | `EXP#<experimentId>` |
 * | a planned batch: its proposals, when it was recorded | `CAMPAIGN#<id>` | `BATCH#<n>` (8 digits) |
 * | the planner's state (JSON), version, next experiment index | `CAMPAIGN#<id>` | `PLANNER` |
 * | a queued operator event | `CAMPAIGN#<id>` | `EVENT#<seq>` |
 * | the operator wait's task token | `CAMPAIGN#<id>` | `WAIT` |
 * | a device of a kind | `KIND#<kind>` | `DEVICE#<deviceId>` |
 * | the kind a device is registered as (device-status: its offline will names no kind) | `DEVICE#<deviceId>` | `KIND` |
 * | every kind registered in the lab, a string set (register-device), so lab-wide actions need no scan | `LAB` | `KINDS` |
 * | an emergency stop: when, who, why, which devices and campaigns | `LAB` | `ESTOP#<ms>#<who>` |
 */
export const keys = {
  command: (commandId: string) => ({ pk: `CMD#${commandId}`, sk: 'CMD' }),
  campaign: (campaignId: string) => ({ pk: `CAMPAIGN#${campaignId}`, sk: 'META' }),
  experiment: (campaignId: string, experimentId: string) => ({
    pk: `CAMPAIGN#${campaignId}`,
    sk: `EXP#${experimentId}`,
  }),
  operatorEvent: (campaignId: string, seq: number) => ({
    pk: `CAMPAIGN#${campaignId}`,
    sk: `EVENT#${String(seq).padStart(8, '0')}`,
  }),
  operatorWait: (campaignId: string) => ({ pk: `CAMPAIGN#${campaignId}`, sk: 'WAIT' }),
  batch: (campaignId: string, batch: number) => ({
    pk: `CAMPAIGN#${campaignId}`,
    sk: `BATCH#${String(batch).padStart(8, '0')}`,
  }),
  planner: (campaignId: string) => ({ pk: `CAMPAIGN#${campaignId}`, sk: 'PLANNER' }),
  device: (kind: string, deviceId: string) => ({ pk: `KIND#${kind}`, sk: `DEVICE#${deviceId}` }),
  deviceKind: (deviceId: string) => ({ pk: `DEVICE#${deviceId}`, sk: 'KIND' }),
  labKinds: () => ({ pk: 'LAB', sk: 'KINDS' }),
  emergencyStop: (at: number, who: string) => ({
    pk: 'LAB',
    sk: `ESTOP#${String(at).padStart(15, '0')}#${who}`,
  }),
};
