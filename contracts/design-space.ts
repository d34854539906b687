import { z } from 'zod';

/** A name usable as a parameter, objective or step name: letters, digits, `_`, starting with a letter. */
export const IdentifierSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must start with a letter and contain only letters, digits and _');

/** A real-valued parameter between `low` and `high`, searched on a linear or log scale. */
export const ContinuousParameterSchema = z
  .object({
    name: IdentifierSchema,
    type: z.literal('continuous'),
    low: z.number(),
    high: z.number(),
    scale: z.enum(['linear', 'log']).default('linear'),
    unit: z.string().optional(),
  })
  .refine((p) => p.low < p.high, { message: 'low must be less than high', path: ['high'] })
  .refine((p) => p.scale !== 'log' || p.low > 0, {
    message: 'a log-scale parameter needs low > 0',
    path: ['low'],
  });

/** A whole-number parameter, `low` and `high` included. */
export const IntegerParameterSchema = z
  .object({
    name: IdentifierSchema,
    type: z.literal('integer'),
    low: z.int(),
    high: z.int(),
    unit: z.string().optional(),
  })
  .refine((p) => p.low < p.high, { message: 'low must be less than high', path: ['high'] });

/** One of a fixed list of choices (a solvent, a ligand, a base). */
export const CategoricalParameterSchema = z.object({
  name: IdentifierSchema,
  type: z.literal('categorical'),
  choices: z
    .array(z.string().min(1))
    .min(2, 'needs at least two choices')
    .refine((c) => new Set(c).size === c.length, 'choices must be distinct'),
});

/** One dimension of a design space. */
export const ParameterSchema = z.discriminatedUnion('type', [
  ContinuousParameterSchema,
  IntegerParameterSchema,
  CategoricalParameterSchema,
]);
export type Parameter = z.infer<typeof ParameterSchema>;

/** The parameters a planner may set; names are unique. */
export const DesignSpaceSchema = z
  .array(ParameterSchema)
  .min(1, 'a design space needs at least one parameter')
  .superRefine((space, ctx) => {
    const seen = new Set<string>();
    space.forEach((p, i) => {
      if (seen.has(p.name))
        ctx.addIssue({ code: 'custom', message: `duplicate parameter name "${p.name}"`, path: [i, 'name'] });
      seen.add(p.name);
    });
  });
export type DesignSpace = z.infer<typeof DesignSpaceSchema>;

/**
 * Parameters whose values must add up to `equals`: the fractions of a mixture, or volumes topped up to a total.
 * Every parameter named must be a linear-scale continuous parameter of the space, in at most one sum.
 *
 * @example
 * { type: 'sum', parameters: ['red', 'yellow', 'blue'], equals: 1 }
 */
export const SumConstraintSchema = z.object({
  type: z.literal('sum'),
  parameters: z
    .array(IdentifierSchema)
    .min(2, 'a sum constraint needs at least two parameters')
    .refine((names) => new Set(names).size === names.length, 'parameters must be distinct'),
  equals: z.number(),
});
export type SumConstraint = z.infer<typeof SumConstraintSchema>;

/**
 * A measured outcome that must stay within bounds for an experiment to count (a purity of at least 0.9, a
 * cost of at most 5): the planner models it and proposes where it is likely to hold. Observations then carry
 * its value next to the objectives'.
 *
 * @example
 * { type: 'outcome', name: 'purity', atLeast: 0.9 }
 */
export const OutcomeConstraintSchema = z
  .object({
    type: z.literal('outcome'),
    name: IdentifierSchema,
    atLeast: z.number().optional(),
    atMost: z.number().optional(),
  })
  .refine((c) => c.atLeast !== undefined || c.atMost !== undefined, {
    message: 'an outcome constraint needs atLeast, atMost or both',
  })
  .refine((c) => c.atLeast === undefined || c.atMost === undefined || c.atLeast <= c.atMost, {
    message: 'atLeast must not exceed atMost',
    path: ['atMost'],
  });
export type OutcomeConstraint = z.infer<typeof OutcomeConstraintSchema>;

/** A constraint of a campaign: on parameters (`sum`) or on measured outcomes (`outcome`). */
export const ConstraintSchema = z.discriminatedUnion('type', [SumConstraintSchema, OutcomeConstraintSchema]);
export type Constraint = z.infer<typeof ConstraintSchema>;

/** What to optimise. `target` stops the campaign once the best value reaches it. */
export const ObjectiveSchema = z.object({
  name: IdentifierSchema,
  goal: z.enum(['maximise', 'minimise']),
  target: z.number().optional(),
  unit: z.string().optional(),
});
export type Objective = z.infer<typeof ObjectiveSchema>;

/** A value of one parameter: a number for continuous and integer parameters, a string for categorical ones. */
export const ParameterValueSchema = z.union([z.number(), z.string()]);
/** A point of the design space, parameter name → value. */
export const ParameterValuesSchema = z.record(z.string(), ParameterValueSchema);
export type ParameterValues = z.infer<typeof ParameterValuesSchema>;

/** Objective name → measured value. */
export const ObjectiveValuesSchema = z.record(z.string(), z.number());
export type ObjectiveValues = z.infer<typeof ObjectiveValuesSchema>;

export { pointError } from './design-point.ts';
