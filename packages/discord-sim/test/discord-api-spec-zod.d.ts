// discord-api-spec ships its Zod schemas as plain JavaScript (its package.json points the types of
// "./zod" at the .js file); this gives them a type without compiling 300 kB of JavaScript.
declare module 'discord-api-spec/zod' {
  import type { ZodMiniType } from 'zod/mini';
  const schemas: Record<string, ZodMiniType>;
  export = schemas;
}
