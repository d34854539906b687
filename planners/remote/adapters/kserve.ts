import { z } from 'zod';
import { formatIssues } from '../../../contracts/index.ts';
import type { EndpointAdapter } from '../adapter.ts';
import { EndpointError } from '../errors.ts';
import { type HttpOptions, postJson } from './http.ts';

/** The name of the one BYTES tensor that carries the JSON request, and of the one that carries the answer. */
export const KSERVE_REQUEST_TENSOR = 'request';
/** The output tensor holding the JSON answer. */
export const KSERVE_RESPONSE_TENSOR = 'response';

const TensorSchema = z.object({
  name: z.string(),
  datatype: z.string(),
  shape: z.array(z.int()),
  data: z.array(z.unknown()),
});

/** A KServe / Open Inference Protocol v2 inference response. */
export const KServeInferResponseSchema = z.object({
  model_name: z.string().optional(),
  id: z.string().optional(),
  outputs: z.array(TensorSchema).min(1),
});

/**
 * A model served with the KServe v2 (Open Inference) protocol, as KServe, Triton and Seldon MLServer do.
 * The plan request travels as one JSON string in a `BYTES` input tensor named `request`, shape `[1]`; the
 * model answers with a `BYTES` output tensor named `response` holding the JSON plan response. Requests go to
 * `{baseUrl}/v2/models/{model}/infer`.
 *
 * @example
 * const adapter = kserveAdapter({ baseUrl: 'http://kserve.lab:8080', model: 'gp-planner' });
 */
export function kserveAdapter(options: HttpOptions & { baseUrl: string; model: string }): EndpointAdapter {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/v2/models/${encodeURIComponent(options.model)}/infer`;
  return {
    kind: 'kserve',
    target: url,
    async send(body, signal) {
      const id = (body as { requestId?: unknown }).requestId;
      const request = {
        ...(typeof id === 'string' ? { id } : {}),
        inputs: [
          { name: KSERVE_REQUEST_TENSOR, shape: [1], datatype: 'BYTES', data: [JSON.stringify(body)] },
        ],
        outputs: [{ name: KSERVE_RESPONSE_TENSOR }],
      };
      const raw = await postJson(url, request, signal, options);
      const parsed = KServeInferResponseSchema.safeParse(raw, { reportInput: true });
      if (!parsed.success)
        throw new EndpointError(
          'EndpointInvalidResponse',
          `${url} did not answer with a v2 inference response: ${formatIssues(parsed.error).slice(0, 3).join('; ')}`,
          { cause: parsed.error },
        );
      const tensor = parsed.data.outputs.find((o) => o.name === KSERVE_RESPONSE_TENSOR);
      const text = tensor?.data[0];
      if (tensor === undefined || tensor.datatype !== 'BYTES' || typeof text !== 'string')
        throw new EndpointError(
          'EndpointInvalidResponse',
          `${url} answered without a BYTES output tensor "${KSERVE_RESPONSE_TENSOR}" holding a JSON string (outputs: ${parsed.data.outputs.map((o) => `${o.name}:${o.datatype}`).join(', ')})`,
        );
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new EndpointError(
          'EndpointInvalidResponse',
          `${url} answered with a "${KSERVE_RESPONSE_TENSOR}" tensor that is not JSON: ${text.slice(0, 80)}`,
          { cause: error },
        );
      }
    },
  };
}
