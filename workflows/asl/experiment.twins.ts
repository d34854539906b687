import type { MachineTwins } from './types.ts';

const step = '$protocol.steps[$stepIndex]';
const commandId = `$experimentId & "/" & ${step}.name & "/" & $string($attempt)`;
/** `labwareFor(index)`: 96-well plates, A1…H12. */
const scope = `{
  "proposal": $parameters,
  "experiment": {
    "id": $experimentId,
    "index": $index,
    "plate": "plate-" & $string($floor($index / 96) + 1),
    "well": $substring("ABCDEFGH", $floor(($index % 96) / 12), 1) & $string(($index % 96) % 12 + 1)
  },
  "steps": $outputs
}`;
const failedAt = (stepName: string) => `$merge([$event.error.fault, { "step": ${stepName} }])`;

/** The JSONata twins of `experimentMachine`'s TypeScript guards, assigns, inputs, delays and output. */
export const experimentTwins: MachineTwins = {
  context: {
    campaignId: '$input.campaignId',
    experimentId: '$input.experimentId',
    index: '$input.index',
    parameters: '$input.parameters',
    protocol: '$input.protocol',
    stepIndex: '0',
    tries: '0',
    attempt: '1',
    deviceId: 'null',
    outputs: '{}',
    devices: '[]',
    error: 'null',
    values: 'null',
  },
  guards: {
    canRetryFault: `$tries < ${step}.retry.attempts and $event.error.fault.retryable = true`,
    canRetryTimeout: `$tries < ${step}.retry.attempts`,
    resumeInterrupted: '$event.error.fault.code = "Interrupted" and $event.error.fault.retryable = true',
    hasNextStep: '$stepIndex + 1 < $count($protocol.steps)',
  },
  delays: {
    stepTimeout: `${step}.timeout * 1000`,
    retryBackoff: `${step}.retry.backoff * 1000`,
  },
  inputs: {
    acquiring: `{
      "kind": ${step}.device,
      "command": ${step}.command,
      "experimentId": $experimentId,
      "step": ${step}.name
    }`,
    running: `{
      "commandId": ${commandId},
      "deviceId": $deviceId != null ? $deviceId : "",
      "step": ${step},
      "scope": ${scope},
      "campaignId": $campaignId,
      "experimentId": $experimentId
    }`,
    measuring: `{ "expression": $protocol.output, "scope": ${scope} }`,
  },
  assigns: {
    'acquiring.onDone': { deviceId: '$event.output.deviceId' },
    'acquiring.onError': { error: failedAt(`${step}.name`) },
    'running.entry': { tries: '$tries + 1' },
    'running.onDone': {
      outputs: `$merge([$outputs, { ${step}.name: $event.output.output }])`,
      devices: `$append($devices, [{
        "step": ${step}.name,
        "deviceId": $deviceId != null ? $deviceId : "",
        "firmware": $event.output.firmware,
        "commandId": ${commandId}
      }])`,
    },
    'running.onError': { attempt: '$attempt + 1', tries: '$tries - 1', deviceId: 'null' },
    'running.onError.1': { attempt: '$attempt + 1' },
    'running.onError.2': { error: failedAt(`${step}.name`) },
    'running.after.stepTimeout.1': {
      error: `{
        "code": "StepTimeout",
        "message": "no result from " & $deviceId & " within " & $string(${step}.timeout) & " s (" &
          $string($tries) & ($tries = 1 ? " try" : " tries") & ")",
        "retryable": false,
        "step": ${step}.name
      }`,
    },
    'stepDone.always': { stepIndex: '$stepIndex + 1' },
    'measuring.onDone': { values: '$event.output' },
    'measuring.onError': { error: failedAt('"output"') },
  },
  output: `$error != null ? {
    "status": "failed",
    "step": $error.step,
    "error": { "code": $error.code, "message": $error.message, "retryable": $error.retryable },
    "devices": $devices
  } : {
    "status": "succeeded",
    "values": $values != null ? $values : {},
    "steps": $outputs,
    "devices": $devices
  }`,
};
