// k6: the admin's whole flow, each iteration on a new event: create, start, read stats,
// lower and raise the stock (and be refused above the total it went live with), pause,
// resume, stop. Run: k6 run -e BASE_URL=… -e ADMIN_TOKEN=… k6/admin-flow.js
//
// Environment: BASE_URL, ADMIN_TOKEN (required), VUS (1), ITERATIONS per VU (3).
import { check, group } from "k6";
import http from "k6/http";

const BASE_URL = (__ENV.BASE_URL || "http://127.0.0.1:3000").replace(/\/+$/, "");
const ADMIN_TOKEN = __ENV.ADMIN_TOKEN || "";

export const options = {
  scenarios: {
    admin: {
      executor: "per-vu-iterations",
      vus: Number(__ENV.VUS || 1),
      iterations: Number(__ENV.ITERATIONS || 3),
      maxDuration: "2m",
    },
  },
  thresholds: {
    checks: ["rate==1"],
    "http_req_duration{kind:admin}": ["p(95)<500"],
  },
};

// The refused stock change (422) is an expected answer here.
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 299 }, 422));

function call(method, path, body, name) {
  return http.request(method, `${BASE_URL}${path}`, body === undefined ? null : JSON.stringify(body), {
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
    tags: { kind: "admin", name },
  });
}

export function setup() {
  if (!ADMIN_TOKEN) throw new Error("set ADMIN_TOKEN");
}

export default function () {
  let eventId = "";
  group("create", () => {
    const res = call(
      "POST",
      "/api/admin/events",
      {
        name: `k6 admin-flow ${__VU}-${__ITER}`,
        admissionRate: 100,
        products: [
          { sku: "SHOE", name: "Sneaker", priceCents: 15000, stock: 100 },
          { sku: "CAP", name: "Cap", priceCents: 3000, stock: 50 },
        ],
      },
      "create",
    );
    check(res, {
      "created (201)": (r) => r.status === 201,
      "starts as DRAFT": (r) => r.json("status") === "DRAFT",
    });
    eventId = res.json("id") || "";
  });
  if (!eventId) return;
  const lifecycle = (action, expected) => {
    const res = call("POST", `/api/admin/events/${eventId}/${action}`, undefined, action);
    check(res, { [`${action} → ${expected}`]: (r) => r.status === 200 && r.json("status") === expected });
  };

  group("start", () => lifecycle("start", "LIVE"));
  group("stats", () => {
    const res = call("GET", `/api/admin/events/${eventId}/stats`, undefined, "stats");
    check(res, {
      "stats (200)": (r) => r.status === 200,
      "stats list both products": (r) => (r.json("products") || []).length === 2,
    });
  });
  group("adjust stock", () => {
    const stock = (total) =>
      call("PUT", `/api/admin/events/${eventId}/products/SHOE/stock`, { total }, "stock");
    check(stock(80), { "lowered to 80": (r) => r.status === 200 });
    check(stock(100), { "raised back to 100": (r) => r.status === 200 });
    check(stock(101), {
      "above the live total is refused (422 STOCK_RULE)": (r) =>
        r.status === 422 && r.json("error.code") === "STOCK_RULE",
    });
  });
  group("pause", () => lifecycle("pause", "PAUSED"));
  group("resume", () => lifecycle("resume", "LIVE"));
  group("stop", () => lifecycle("stop", "ENDED"));
  group("read back", () => {
    const res = call("GET", `/api/admin/events/${eventId}`, undefined, "event");
    check(res, { "ended for good": (r) => r.status === 200 && r.json("status") === "ENDED" });
  });
}
