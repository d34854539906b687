/** One IAM-style statement of an IoT Core policy. */
export interface IotPolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string[];
}

/** An IoT Core policy document. */
export interface IotPolicyDocument {
  Version: '2012-10-17';
  Statement: IotPolicyStatement[];
}

/** The policy variable IoT Core replaces with the connecting certificate's thing name. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IoT Core policy variable, not a JS template.
export const THING_NAME = '${iot:Connection.Thing.ThingName}';

/**
 * The device policy: a certificate may connect only as its own thing (client id = thing name = device id),
 * publish only its own `events`, `telemetry` and `status`, and subscribe to and receive only its own
 * `commands` (DESIGN §4). Policy variables scope one shared policy to every thing; there are no wildcards and
 * no `iot:*`, which `iot-policy.test.ts` checks.
 *
 * @param arnPrefix `arn:aws:iot:<region>:<account>` (tokens are fine).
 */
export function devicePolicyDocument(arnPrefix: string, labId: string): IotPolicyDocument {
  const own = `labloop/${labId}/devices/${THING_NAME}`;
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['iot:Connect'], Resource: [`${arnPrefix}:client/${THING_NAME}`] },
      {
        Effect: 'Allow',
        Action: ['iot:Publish'],
        Resource: ['events', 'telemetry', 'status'].map((c) => `${arnPrefix}:topic/${own}/${c}`),
      },
      { Effect: 'Allow', Action: ['iot:Subscribe'], Resource: [`${arnPrefix}:topicfilter/${own}/commands`] },
      { Effect: 'Allow', Action: ['iot:Receive'], Resource: [`${arnPrefix}:topic/${own}/commands`] },
    ],
  };
}

/**
 * Problems that make a device policy too broad: a wildcard action or resource (`*`, `+`, `#`, `?`), `iot:*`, or a
 * statement not scoped to the connecting thing. Empty when the policy is thing-scoped.
 */
export function devicePolicyProblems(document: IotPolicyDocument): string[] {
  const problems: string[] = [];
  for (const [i, s] of document.Statement.entries()) {
    for (const action of s.Action)
      if (/[*?]/.test(action)) problems.push(`statement ${i}: action ${action} is a wildcard`);
    for (const resource of s.Resource) {
      const withoutVariable = resource.split(THING_NAME).join('');
      if (/[*?+#]/.test(withoutVariable))
        problems.push(`statement ${i}: resource ${resource} has a wildcard`);
      if (!resource.includes(THING_NAME))
        problems.push(`statement ${i}: resource ${resource} is not scoped to the connecting thing`);
    }
  }
  return problems;
}
