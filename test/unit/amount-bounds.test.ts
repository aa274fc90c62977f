// Every amount the door lets in fits where it is stored: an order's amount is price × quantity,
// both bounded by the zod schemas, stored as BIGINT and sent in JSON as a number.
import { describe, expect, it } from "vitest";
import { productInput } from "../../src/events/event.schemas.js";
import { joinInput } from "../../src/waiting-room/ticket.schemas.js";

const INT32_MAX = 2 ** 31 - 1;
const BIGINT_MAX = 2n ** 63n - 1n;

describe("amount bounds", () => {
  const maxPrice = productInput.shape.priceCents.maxValue;
  const maxQuantity = joinInput.shape.quantity.unwrap().maxValue;

  it("the schemas bound price and quantity, and enforce their bounds", () => {
    expect(maxPrice).toBe(100_000_000);
    expect(maxQuantity).toBe(1_000);
    const product = { sku: "A", name: "x", stock: 1 };
    expect(productInput.safeParse({ ...product, priceCents: maxPrice }).success).toBe(true);
    expect(productInput.safeParse({ ...product, priceCents: (maxPrice ?? 0) + 1 }).success).toBe(false);
    expect(joinInput.safeParse({ userId: "u", sku: "A", quantity: maxQuantity }).success).toBe(true);
    expect(joinInput.safeParse({ userId: "u", sku: "A", quantity: (maxQuantity ?? 0) + 1 }).success).toBe(
      false,
    );
  });

  it("the largest amount fits Order.amountCents (BIGINT) and a JSON number exactly; the largest price fits Product.priceCents (INTEGER)", () => {
    const largest = (maxPrice ?? Number.POSITIVE_INFINITY) * (maxQuantity ?? Number.POSITIVE_INFINITY);
    expect(largest).toBeGreaterThan(INT32_MAX); // why the column is BIGINT
    expect(Number.isSafeInteger(largest)).toBe(true);
    expect(BigInt(largest) <= BIGINT_MAX).toBe(true);
    expect(maxPrice).toBeLessThanOrEqual(INT32_MAX);
  });
});
