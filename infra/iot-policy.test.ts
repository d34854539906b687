import { describe, expect, it } from 'vitest';
import { devicePolicyDocument, devicePolicyProblems, THING_NAME } from './iot-policy.ts';

const arn = 'arn:aws:iot:eu-west-1:123456789012';

describe('device IoT policy', () => {
  it('is thing-scoped: no wildcards, no iot:*, every resource names the connecting thing', () => {
    const document = devicePolicyDocument(arn, 'lab-1');
    expect(devicePolicyProblems(document)).toEqual([]);
    const text = JSON.stringify(document);
    expect(text).not.toContain('iot:*');
    expect(document.Statement.flatMap((s) => s.Action).sort()).toEqual([
      'iot:Connect',
      'iot:Publish',
      'iot:Receive',
      'iot:Subscribe',
    ]);
    expect(document.Statement.find((s) => s.Action.includes('iot:Subscribe'))?.Resource).toEqual([
      `${arn}:topicfilter/labloop/lab-1/devices/${THING_NAME}/commands`,
    ]);
  });

  it('catches what a broad policy would slip in', () => {
    const broad = devicePolicyDocument(arn, 'lab-1');
    broad.Statement.push(
      { Effect: 'Allow', Action: ['iot:*'], Resource: [`${arn}:topic/labloop/lab-1/devices/+/commands`] },
      { Effect: 'Allow', Action: ['iot:Publish'], Resource: [`${arn}:topic/labloop/lab-1/#`] },
    );
    expect(devicePolicyProblems(broad)).toEqual([
      'statement 4: action iot:* is a wildcard',
      `statement 4: resource ${arn}:topic/labloop/lab-1/devices/+/commands has a wildcard`,
      `statement 4: resource ${arn}:topic/labloop/lab-1/devices/+/commands is not scoped to the connecting thing`,
      `statement 5: resource ${arn}:topic/labloop/lab-1/# has a wildcard`,
      `statement 5: resource ${arn}:topic/labloop/lab-1/# is not scoped to the connecting thing`,
    ]);
  });
});
