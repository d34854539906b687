import type { z } from 'zod';
import { FunctionError } from '../errors.ts';

/**
 * Writes `zod/mini` source for a contract schema, from the schema's own definition (`_zod.def`), so the Lambda
 * bundles validate with the same rules as the rest of labloop without bundling classic Zod (ADR 0006: classic
 * Zod cannot be tree-shaken and costs ~190 KB minified even without its locales; `zod/mini` costs ~20 KB).
 * `contracts/` stays the one schema source: the generated module is checked to be current, and to accept,
 * reject and default exactly as the classic schema does, by `mini-schemas.test.ts`.
 *
 * The subset is what the Lambdas' contracts use; anything else throws naming the path and the construct.
 */
export function miniSource(schema: z.ZodType, where: string): string {
  return emit(schema as unknown as Node, where);
}

/** A construct the generator does not translate. */
export class MiniCodegenError extends FunctionError {
  override name = 'MiniCodegenError';
}

interface Check {
  _zod: { def: Record<string, unknown> };
}
interface Node {
  _zod: { def: Record<string, unknown> & { type: string; checks?: Check[] } };
}

function message(def: Record<string, unknown>): string {
  const error = def.error;
  if (typeof error !== 'function') return '';
  // Classic Zod keeps a custom message as `() => message`; a function of the issue would not survive codegen.
  const text = (error as (issue?: unknown) => unknown)();
  if (typeof text !== 'string' && !(text && typeof (text as { message?: unknown }).message === 'string'))
    throw new MiniCodegenError(`custom error functions are not supported, got ${String(error)}`);
  const value = typeof text === 'string' ? text : (text as { message: string }).message;
  return `, ${JSON.stringify(value)}`;
}

function check(c: Record<string, unknown>, where: string): string {
  switch (c.check) {
    case 'min_length':
      return `z.minLength(${c.minimum}${message(c)})`;
    case 'max_length':
      return `z.maxLength(${c.maximum}${message(c)})`;
    case 'greater_than':
      return `${c.inclusive ? 'z.gte' : 'z.gt'}(${c.value}${message(c)})`;
    case 'less_than':
      return `${c.inclusive ? 'z.lte' : 'z.lt'}(${c.value}${message(c)})`;
    case 'string_format':
      if (c.format === 'regex') return `z.regex(${String(c.pattern)}${message(c)})`;
      break;
    case 'number_format':
      if (c.format === 'safeint') return `z.int()`;
      break;
  }
  throw new MiniCodegenError(
    `${where}: check ${String(c.check)} (${String(c.format ?? '')}) is not supported`,
  );
}

function withChecks(base: string, node: Node, where: string): string {
  const checks = (node._zod.def.checks ?? []).map((c) => c._zod.def);
  const formats = checks.filter((c) => c.check === 'number_format');
  let out = base;
  // `z.int()` in classic carries its format on the def itself; mini spells it as the int schema.
  if (node._zod.def.check === 'number_format' || formats.length > 0) {
    if (base !== 'z.number()') throw new MiniCodegenError(`${where}: number format on ${base}`);
    out = 'z.int()';
  }
  const rest = checks.filter((c) => c.check !== 'number_format').map((c) => check(c, where));
  return rest.length === 0 ? out : `${out}.check(${rest.join(', ')})`;
}

function emit(node: Node, where: string): string {
  const def = node._zod.def;
  switch (def.type) {
    case 'string':
      return withChecks('z.string()', node, where);
    case 'number':
      return withChecks('z.number()', node, where);
    case 'boolean':
      return 'z.boolean()';
    case 'unknown':
      return 'z.unknown()';
    case 'literal': {
      const values = def.values as unknown[];
      return values.length === 1
        ? `z.literal(${JSON.stringify(values[0])})`
        : `z.literal(${JSON.stringify(values)})`;
    }
    case 'enum':
      return `z.enum(${JSON.stringify(Object.values(def.entries as Record<string, string>))})`;
    case 'optional':
      return `z.optional(${emit(def.innerType as Node, where)})`;
    case 'nullable':
      return `z.nullable(${emit(def.innerType as Node, where)})`;
    case 'default':
    case 'prefault': {
      const value = JSON.stringify(def.defaultValue);
      return `z.${def.type === 'default' ? '_default' : 'prefault'}(${emit(def.innerType as Node, where)}, ${value})`;
    }
    case 'array':
      return withChecks(`z.array(${emit(def.element as Node, `${where}[]`)})`, node, where);
    case 'record':
      return `z.record(${emit(def.keyType as Node, `${where}{key}`)}, ${emit(def.valueType as Node, `${where}{}`)})`;
    case 'object': {
      const shape = Object.entries(def.shape as Record<string, Node>)
        .map(([key, value]) => `${JSON.stringify(key)}: ${emit(value, `${where}.${key}`)}`)
        .join(', ');
      const catchall = (def.catchall as Node | undefined)?._zod.def.type;
      const ctor =
        catchall === undefined
          ? 'z.object'
          : catchall === 'never'
            ? 'z.strictObject'
            : catchall === 'unknown'
              ? 'z.looseObject'
              : undefined;
      if (!ctor) throw new MiniCodegenError(`${where}: object catchall ${catchall} is not supported`);
      return withChecks(`${ctor}({ ${shape} })`, node, where);
    }
    case 'union': {
      const options = (def.options as Node[]).map((o, i) => emit(o, `${where}|${i}`)).join(', ');
      return typeof def.discriminator === 'string'
        ? `z.discriminatedUnion(${JSON.stringify(def.discriminator)}, [${options}])`
        : `z.union([${options}])`;
    }
  }
  throw new MiniCodegenError(`${where}: schema type ${def.type} is not supported by the zod/mini generator`);
}

/**
 * The whole generated module: one `export const XxxSchema` per entry, plus `import` and the English messages
 * classic Zod configures by default.
 */
export function miniModule(schemas: Record<string, z.ZodType>, origin: string): string {
  const body = Object.entries(schemas)
    .map(
      ([name, schema]) =>
        `/** \`${name}\` of ${origin}, as zod/mini. */\nexport const ${name} = ${miniSource(schema, name)};`,
    )
    .join('\n\n');
  return `// Generated by functions/shared/generate-mini-schemas.ts from ${origin}: do not edit.\n// Regenerate with \`npx tsx functions/shared/generate-mini-schemas.ts\` (ADR 0006).\nimport * as z from 'zod/mini';\nimport en from 'zod/v4/locales/en.js';\n\n// Classic Zod configures English messages on import; mini leaves it to the application.\nz.config(en());\n\n${body}\n`;
}
