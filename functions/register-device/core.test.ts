import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  IoTClient,
  ListThingPrincipalsCommand,
  ResourceAlreadyExistsException,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ApiRequest, Principal } from '../shared/http-api.ts';
import { registerDevice } from './core.ts';

const iot = mockClient(IoTClient);
const db = mockClient(DynamoDBDocumentClient);
const NOW = 1_790_000_000_000;
const CERT = 'arn:aws:iot:eu-west-1:123456789012:cert/c0ffee';
const OLD = 'arn:aws:iot:eu-west-1:123456789012:cert/0dd';
const deps = {
  iot: new IoTClient({ region: 'eu-west-1' }),
  db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  table: 'labloop',
  labId: 'lab-7',
  policyName: 'Labloop-DevicePolicy',
  clock: { now: () => NOW },
  newId: () => 'claim-1',
};
const ana: Principal = { name: 'ana', role: 'operator' };
const register = (body: unknown, principal: Principal = ana) =>
  registerDevice({ routeKey: 'POST /api/devices', params: {}, body, principal } satisfies ApiRequest, deps);
const failed = (name: string) => Object.assign(new Error(name), { name });
const KEY = { pk: 'KIND#liquid-handler', sk: 'DEVICE#lh-1' };
const topics = {
  commands: 'labloop/lab-7/devices/lh-1/commands',
  events: 'labloop/lab-7/devices/lh-1/events',
  telemetry: 'labloop/lab-7/devices/lh-1/telemetry',
  status: 'labloop/lab-7/devices/lh-1/status',
};

const LAB_KINDS = { pk: 'LAB', sk: 'KINDS' };
/** The registry updates of the device itself, in order (the lab's kinds set is updated first, apart). */
const deviceUpdates = () =>
  db
    .commandCalls(UpdateCommand)
    .map((c) => c.args[0].input)
    .filter((input) => input.Key?.pk !== 'LAB');

function freshAccount(principals: string[] = []) {
  db.on(GetCommand).resolves({});
  db.on(UpdateCommand).resolves({});
  db.on(UpdateCommand, { Key: LAB_KINDS }).resolves({});
  iot.on(CreateThingCommand).resolves({ thingName: 'lh-1' });
  iot.on(ListThingPrincipalsCommand).resolves({ principals });
  iot.on(CreateKeysAndCertificateCommand).resolves({
    certificateArn: CERT,
    certificateId: 'c0ffee',
    certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    keyPair: { PublicKey: 'PUBLIC', PrivateKey: 'PRIVATE' },
  });
}

beforeEach(() => {
  iot.reset();
  db.reset();
});

describe('registerDevice', () => {
  it('creates the thing, a certificate with the device policy, attaches it, and records the device (201, keys once)', async () => {
    freshAccount();
    expect(await register({ deviceId: 'lh-1', kind: 'liquid-handler' })).toEqual({
      status: 201,
      body: {
        deviceId: 'lh-1',
        kind: 'liquid-handler',
        thingName: 'lh-1',
        certificateArn: CERT,
        certificateId: 'c0ffee',
        topics,
        created: true,
        certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
        keyPair: { publicKey: 'PUBLIC', privateKey: 'PRIVATE' },
      },
    });
    expect(iot.calls().map((c) => [c.args[0].constructor.name, c.args[0].input])).toEqual([
      [
        'CreateThingCommand',
        { thingName: 'lh-1', attributePayload: { attributes: { lab: 'lab-7', kind: 'liquid-handler' } } },
      ],
      ['ListThingPrincipalsCommand', { thingName: 'lh-1' }],
      ['CreateKeysAndCertificateCommand', { setAsActive: true }],
      ['AttachPolicyCommand', { policyName: 'Labloop-DevicePolicy', target: CERT }],
      ['AttachThingPrincipalCommand', { thingName: 'lh-1', principal: CERT }],
    ]);
    expect(db.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: 'labloop',
      Key: LAB_KINDS,
      UpdateExpression: 'ADD kinds :kind',
      ExpressionAttributeValues: { ':kind': new Set(['liquid-handler']) },
    });
    const [claim, record] = deviceUpdates();
    expect(claim).toEqual({
      TableName: 'labloop',
      Key: KEY,
      UpdateExpression:
        'SET deviceId = :d, kind = :k, online = if_not_exists(online, :false), registering = :claim',
      ConditionExpression:
        'attribute_not_exists(certificateArn) AND (attribute_not_exists(registering) OR registering.#at < :stale)',
      ExpressionAttributeNames: { '#at': 'at' },
      ExpressionAttributeValues: {
        ':d': 'lh-1',
        ':k': 'liquid-handler',
        ':false': false,
        ':claim': { id: 'claim-1', by: 'operator:ana', at: NOW },
        ':stale': NOW - 120_000,
      },
    });
    expect(record).toEqual({
      TableName: 'labloop',
      Key: KEY,
      UpdateExpression:
        'SET thingName = :t, certificateArn = :c, registeredBy = :by, registeredAt = :now REMOVE registering',
      ConditionExpression: 'registering.id = :id',
      ExpressionAttributeValues: {
        ':t': 'lh-1',
        ':c': CERT,
        ':by': 'operator:ana',
        ':now': NOW,
        ':id': 'claim-1',
      },
    });
  });

  it('answers a re-run for a registered device with its certificate and no keys, touching only the lab kinds (200)', async () => {
    db.on(GetCommand).resolves({
      Item: { ...KEY, deviceId: 'lh-1', kind: 'liquid-handler', certificateArn: CERT },
    });
    expect(await register({ deviceId: 'lh-1', kind: 'liquid-handler' })).toEqual({
      status: 200,
      body: {
        deviceId: 'lh-1',
        kind: 'liquid-handler',
        thingName: 'lh-1',
        certificateArn: CERT,
        certificateId: 'c0ffee',
        topics,
        created: false,
      },
    });
    expect(db.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: 'labloop',
      Key: KEY,
      ConsistentRead: true,
    });
    expect(iot.calls()).toHaveLength(0);
    // Only the lab's kinds, so a device registered before they were recorded is found by an emergency stop.
    expect(db.commandCalls(UpdateCommand).map((c) => c.args[0].input.Key)).toEqual([LAB_KINDS]);
  });

  it('finishes a registration that failed half-way: the certificate it left on the thing is retired', async () => {
    freshAccount([OLD]);
    const answer = await register({ deviceId: 'lh-1', kind: 'liquid-handler' });
    expect(answer).toMatchObject({ status: 201, body: { certificateArn: CERT, deactivated: ['0dd'] } });
    expect(iot.commandCalls(DetachThingPrincipalCommand)[0]?.args[0].input).toEqual({
      thingName: 'lh-1',
      principal: OLD,
    });
    expect(iot.commandCalls(DetachPolicyCommand)[0]?.args[0].input).toEqual({
      policyName: 'Labloop-DevicePolicy',
      target: OLD,
    });
    expect(iot.commandCalls(UpdateCertificateCommand)[0]?.args[0].input).toEqual({
      certificateId: '0dd',
      newStatus: 'INACTIVE',
    });
    expect(iot.commandCalls(AttachThingPrincipalCommand)).toHaveLength(1);
  });

  it('stores the descriptor when one is given, and refuses one that names another device (400)', async () => {
    freshAccount();
    const descriptor = {
      deviceId: 'lh-1',
      kind: 'liquid-handler',
      model: 'sim',
      firmware: '1.0',
      heartbeat: 30,
      capabilities: [{ command: 'mix', description: 'mix', parameters: {}, envelope: [] }],
    };
    await register({ deviceId: 'lh-1', kind: 'liquid-handler', descriptor });
    expect(deviceUpdates()[1]).toMatchObject({
      UpdateExpression: expect.stringContaining(', descriptor = :desc REMOVE registering'),
      ExpressionAttributeValues: {
        ':desc': { ...descriptor, capabilities: [{ ...descriptor.capabilities[0], resumable: true }] },
      },
    });
    iot.reset();
    db.reset();
    await expect(
      register({ deviceId: 'lh-1', kind: 'plate-reader', descriptor: { ...descriptor, deviceId: 'lh-2' } }),
    ).rejects.toMatchObject({
      name: 'ContractError',
      issues: [
        `descriptor.deviceId: must be the request's deviceId, lh-1 (got "lh-2")`,
        `descriptor.kind: must be the request's kind, plate-reader (got "liquid-handler")`,
      ],
    });
    await expect(register({ deviceId: 'LH 1', kind: 'liquid-handler' })).rejects.toMatchObject({
      issues: [expect.stringMatching(/^deviceId: must be lowercase letters/)],
    });
    expect(iot.calls()).toHaveLength(0);
  });

  it('refuses viewers and approvers alike may register (roles are ordered)', async () => {
    await expect(
      register({ deviceId: 'lh-1', kind: 'liquid-handler' }, { name: 'vic', role: 'viewer' }),
    ).rejects.toMatchObject({
      name: 'ForbiddenError',
      message: 'vic is a viewer and may not register-device; that needs the operator role',
    });
    freshAccount();
    expect(
      await register({ deviceId: 'lh-1', kind: 'liquid-handler' }, { name: 'amy', role: 'approver' }),
    ).toMatchObject({
      status: 201,
    });
  });

  it('refuses a concurrent registration of the same device (409) before touching IoT', async () => {
    db.on(GetCommand).resolves({ Item: { ...KEY, registering: { id: 'other', at: NOW - 1000 } } });
    db.on(UpdateCommand, { Key: KEY }).rejects(failed('ConditionalCheckFailedException'));
    await expect(register({ deviceId: 'lh-1', kind: 'liquid-handler' })).rejects.toMatchObject({
      name: 'ConflictError',
      message: expect.stringContaining('is being registered by another request'),
    });
    expect(iot.calls()).toHaveLength(0);
  });

  it('refuses a thing of the same name from another lab or kind (409), creating no certificate', async () => {
    freshAccount();
    iot.on(CreateThingCommand).rejects(
      new ResourceAlreadyExistsException({
        message: 'exists',
        $metadata: {},
        resourceId: 'x',
        resourceArn: 'y',
      }),
    );
    await expect(register({ deviceId: 'lh-1', kind: 'liquid-handler' })).rejects.toMatchObject({
      name: 'ConflictError',
      message: expect.stringContaining('an IoT thing named lh-1 exists with other attributes'),
    });
    expect(iot.commandCalls(CreateKeysAndCertificateCommand)).toHaveLength(0);
  });

  it('retires its own certificate when its claim was taken over meanwhile (409)', async () => {
    freshAccount();
    db.on(UpdateCommand, { Key: KEY }).resolvesOnce({}).rejects(failed('ConditionalCheckFailedException'));
    await expect(register({ deviceId: 'lh-1', kind: 'liquid-handler' })).rejects.toMatchObject({
      name: 'ConflictError',
    });
    expect(iot.commandCalls(UpdateCertificateCommand)[0]?.args[0].input).toEqual({
      certificateId: 'c0ffee',
      newStatus: 'INACTIVE',
    });
    expect(iot.commandCalls(AttachPolicyCommand)).toHaveLength(1);
  });
});
