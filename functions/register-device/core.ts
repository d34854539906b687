import { randomUUID } from 'node:crypto';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  type IoTClient,
  ListThingPrincipalsCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { parseWith } from '../../contracts/errors.ts';
import { type DeviceChannel, deviceChannels, deviceTopic } from '../../devices/topics.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { DeviceDescriptorSchema } from '../shared/contracts.mini.ts';
import { recordKind } from '../shared/devices.ts';
import { type ApiRequest, type ApiResponse, actorOf, requireRole } from '../shared/http-api.ts';
import { keys } from '../shared/table.ts';

const Slug = z
  .string()
  .check(
    z.regex(
      /^[a-z0-9][a-z0-9-]{0,62}$/,
      'must be lowercase letters, digits and -, starting with a letter or digit',
    ),
  );

/**
 * `POST /api/devices`: the device to register. `deviceId` becomes the IoT thing name, the MQTT client id and the
 * `{deviceId}` of its topics; `descriptor` (optional) is stored in the registry, and must name the same device.
 */
export const RegisterDeviceRequestSchema = z
  .object({ deviceId: Slug, kind: Slug, descriptor: z.optional(DeviceDescriptorSchema) })
  .check(
    z.superRefine((r, ctx) => {
      for (const field of ['deviceId', 'kind'] as const)
        if (r.descriptor && r.descriptor[field] !== r[field])
          ctx.addIssue({
            code: 'custom',
            message: `must be the request's ${field}, ${r[field]}`,
            path: ['descriptor', field],
            input: r.descriptor[field],
          });
    }),
  );

/** What register-device works with. */
export interface RegisterDeviceDeps {
  iot: IoTClient;
  db: DynamoDBDocumentClient;
  table: string;
  labId: string;
  /** The thing-scoped device policy of `infra/iot-policy.ts`, attached to every device certificate. */
  policyName: string;
  clock: { now(): number };
  /** Ids of registration claims. @default crypto.randomUUID */
  newId?: () => string;
}

/** A registration claim older than this is abandoned (the function's timeout is 30 s), in ms. */
export const CLAIM_STALE_MS = 120_000;

/** A registered device as the API reports it; `certificatePem` and `keyPair` only in the answer that created them. */
export interface DeviceRegistration {
  deviceId: string;
  kind: string;
  thingName: string;
  certificateArn: string;
  certificateId: string;
  topics: Record<DeviceChannel, string>;
  created: boolean;
  certificatePem?: string;
  keyPair?: { publicKey: string; privateKey: string };
  /** Certificates of an unfinished earlier registration, detached and deactivated. */
  deactivated?: string[];
}

const errorName = (error: unknown) => (error as { name?: string }).name;
const certificateIdOf = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/** Detaches a certificate from the thing and the policy and deactivates it: it can no longer connect. */
async function retire(thingName: string, certificateArn: string, deps: RegisterDeviceDeps): Promise<void> {
  await deps.iot.send(new DetachThingPrincipalCommand({ thingName, principal: certificateArn }));
  await deps.iot.send(new DetachPolicyCommand({ policyName: deps.policyName, target: certificateArn }));
  await deps.iot.send(
    new UpdateCertificateCommand({ certificateId: certificateIdOf(certificateArn), newStatus: 'INACTIVE' }),
  );
}

/**
 * Claims the device's registry item for this registration, so two registrations of one device never run at
 * once (an abandoned claim expires after {@link CLAIM_STALE_MS}). The item keeps what the registry already knew
 * (whether the device is online, its lease).
 */
async function claim(
  body: z.output<typeof RegisterDeviceRequestSchema>,
  by: string,
  id: string,
  deps: RegisterDeviceDeps,
): Promise<void> {
  const now = deps.clock.now();
  try {
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: keys.device(body.kind, body.deviceId),
        UpdateExpression:
          'SET deviceId = :d, kind = :k, online = if_not_exists(online, :false), registering = :claim',
        ConditionExpression:
          'attribute_not_exists(certificateArn) AND (attribute_not_exists(registering) OR registering.#at < :stale)',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: {
          ':d': body.deviceId,
          ':k': body.kind,
          ':false': false,
          ':claim': { id, by, at: now },
          ':stale': now - CLAIM_STALE_MS,
        },
      }),
    );
  } catch (error) {
    if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
    throw new ConflictError(
      `device ${body.deviceId} is being registered by another request (or was registered meanwhile); try again in ${CLAIM_STALE_MS / 60_000} minutes if it does not appear`,
      { cause: error },
    );
  }
}

/**
 * Registers a device with IoT Core: the thing (named after the device), a certificate with fresh keys, the
 * thing-scoped device policy attached to the certificate, the certificate attached to the thing, and the device
 * in the registry that acquire-device leases from. Operators only.
 *
 * Idempotent per device: a registered device answers 200 with its certificate's ARN and no keys (they are given
 * once, 201, and AWS keeps no copy of the private key); a registration that failed half-way is finished by the
 * next one, which deactivates the certificate it may have left on the thing.
 */
export async function registerDevice(request: ApiRequest, deps: RegisterDeviceDeps): Promise<ApiResponse> {
  if (request.routeKey !== 'POST /api/devices')
    throw new NotFoundError(`no API route ${request.routeKey}; register-device answers POST /api/devices`);
  const body = parseWith(RegisterDeviceRequestSchema, request.body, 'device registration');
  requireRole(request.principal, 'register-device');
  const thingName = body.deviceId;
  const topics = Object.fromEntries(
    deviceChannels.map((c) => [c, deviceTopic(deps.labId, body.deviceId, c)]),
  ) as Record<DeviceChannel, string>;
  const key = keys.device(body.kind, body.deviceId);
  // First, and also for a device registered before kinds were recorded: a lab-wide emergency stop finds it.
  await recordKind(deps.db, deps.table, body.kind);
  const existing = (
    await deps.db.send(new GetCommand({ TableName: deps.table, Key: key, ConsistentRead: true }))
  ).Item;
  if (typeof existing?.certificateArn === 'string') {
    const registration: DeviceRegistration = {
      deviceId: body.deviceId,
      kind: body.kind,
      thingName,
      certificateArn: existing.certificateArn,
      certificateId: certificateIdOf(existing.certificateArn),
      topics,
      created: false,
    };
    return { status: 200, body: registration };
  }
  const by = actorOf(request.principal);
  const claimId = (deps.newId ?? randomUUID)();
  await claim(body, by, claimId, deps);

  try {
    await deps.iot.send(
      new CreateThingCommand({
        thingName,
        attributePayload: { attributes: { lab: deps.labId, kind: body.kind } },
      }),
    );
  } catch (error) {
    if (errorName(error) !== 'ResourceAlreadyExistsException') throw error;
    throw new ConflictError(
      `an IoT thing named ${thingName} exists with other attributes than lab ${deps.labId}, kind ${body.kind} (another lab or kind in this account and region?); choose another deviceId`,
      { cause: error },
    );
  }
  const left = (await deps.iot.send(new ListThingPrincipalsCommand({ thingName }))).principals ?? [];
  for (const arn of left) await retire(thingName, arn, deps);

  const certificate = await deps.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  const certificateArn = certificate.certificateArn as string;
  await deps.iot.send(new AttachPolicyCommand({ policyName: deps.policyName, target: certificateArn }));
  await deps.iot.send(new AttachThingPrincipalCommand({ thingName, principal: certificateArn }));
  try {
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: key,
        UpdateExpression: `SET thingName = :t, certificateArn = :c, registeredBy = :by, registeredAt = :now${body.descriptor ? ', descriptor = :desc' : ''} REMOVE registering`,
        ConditionExpression: 'registering.id = :id',
        ExpressionAttributeValues: {
          ':t': thingName,
          ':c': certificateArn,
          ':by': by,
          ':now': deps.clock.now(),
          ':id': claimId,
          ...(body.descriptor ? { ':desc': body.descriptor } : {}),
        },
      }),
    );
  } catch (error) {
    if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
    // Our claim went stale and another registration took over: leave the device to it.
    await retire(thingName, certificateArn, deps);
    throw new ConflictError(`device ${body.deviceId} was registered by another request meanwhile`, {
      cause: error,
    });
  }
  const registration: DeviceRegistration = {
    deviceId: body.deviceId,
    kind: body.kind,
    thingName,
    certificateArn,
    certificateId: certificate.certificateId ?? certificateIdOf(certificateArn),
    topics,
    created: true,
    certificatePem: certificate.certificatePem as string,
    keyPair: {
      publicKey: certificate.keyPair?.PublicKey as string,
      privateKey: certificate.keyPair?.PrivateKey as string,
    },
    ...(left.length > 0 ? { deactivated: left.map(certificateIdOf) } : {}),
  };
  return { status: 201, body: registration };
}
