// Every input is checked by a zod schema; a failure is a 400 VALIDATION_FAILED that
// lists the fields, in the contract's error shape.
import type { z } from "zod";
import { AppError } from "./errors.js";

export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: "body" | "query" | "params",
): z.infer<S> {
  const result = schema.safeParse(value ?? (where === "body" ? undefined : {}));
  if (result.success) return result.data;
  throw new AppError({
    code: "VALIDATION_FAILED",
    message: `The request ${where} is not valid`,
    details: {
      in: where,
      fields: result.error.issues.map((issue) => ({
        path: issue.path.map(String).join(".") || "(root)",
        message: issue.message,
      })),
    },
  });
}
