// k6: joins only, at a constant (or ramping) arrival rate, with a threshold on p99. Creates
// an event with plenty of stock and a low admission rate, so every join makes a ticket and
// nothing else competes. Run: k6 run -e BASE_URL=… -e ADMIN_TOKEN=… -e RATE=1000 k6/join-stress.js
//
// Environment:
//   BASE_URL, ADMIN_TOKEN  the API and its admin token (ADMIN_TOKEN needed unless EVENT_ID)
//   EVENT_ID               join this live event instead of creating one (its first product)
//   RATE, DURATION         constant arrival rate per second and how long (500, 30s)
//   STAGES                 ramping instead, e.g. "500:20s,1000:20s,2000:20s" (target:duration,…)
//   P99_MS                 the p99 threshold of a join in ms (50)
//   PRE_VUS, MAX_VUS       VUs allocated up front / at most (200, 2000)
import { check } from "k6";
import http from "k6/http";
import { Counter } from "k6/metrics";

const BASE_URL = (__ENV.BASE_URL || "http://127.0.0.1:3000").replace(/\/+$/, "");
const ADMIN_TOKEN = __ENV.ADMIN_TOKEN || "";
const JSON_HEADERS = { "content-type": "application/json" };

function scenario() {
  const common = {
    timeUnit: "1s",
    preAllocatedVUs: Number(__ENV.PRE_VUS || 200),
    maxVUs: Number(__ENV.MAX_VUS || 2000),
  };
  if (__ENV.STAGES) {
    const stages = __ENV.STAGES.split(",").map((s) => {
      const [target, duration] = s.split(":");
      return { target: Number(target), duration };
    });
    return { executor: "ramping-arrival-rate", startRate: stages[0].target, stages, ...common };
  }
  return {
    executor: "constant-arrival-rate",
    rate: Number(__ENV.RATE || 500),
    duration: __ENV.DURATION || "30s",
    ...common,
  };
}

export const options = {
  scenarios: { joins: scenario() },
  thresholds: {
    "http_req_duration{name:join}": [`p(99)<${Number(__ENV.P99_MS || 50)}`],
    "http_req_failed{name:join}": ["rate<0.01"],
    checks: ["rate>0.99"],
    dropped_iterations: ["count==0"],
  },
};

const refused = new Counter("refused");

function admin(method, path, body) {
  const res = http.request(method, `${BASE_URL}${path}`, body === undefined ? null : JSON.stringify(body), {
    headers: { ...JSON_HEADERS, authorization: `Bearer ${ADMIN_TOKEN}` },
    tags: { name: "admin" },
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.body}`);
  return res.json();
}

export function setup() {
  if (__ENV.EVENT_ID) {
    const event = http.get(`${BASE_URL}/api/events/${__ENV.EVENT_ID}`).json();
    return { eventId: __ENV.EVENT_ID, sku: event.products[0].sku, created: false };
  }
  if (!ADMIN_TOKEN) throw new Error("set ADMIN_TOKEN (to create the event) or EVENT_ID (a live event)");
  const event = admin("POST", "/api/admin/events", {
    name: `k6 join-stress ${new Date().toISOString()}`,
    admissionRate: 1,
    waitingCapacity: 10000000,
    products: [{ sku: "P1", name: "Plenty", priceCents: 100, stock: 10000000 }],
  });
  admin("POST", `/api/admin/events/${event.id}/start`);
  return { eventId: event.id, sku: "P1", created: true };
}

export default function (data) {
  // A new user each time: every join creates a ticket (the expensive path).
  const userId = `k6-join-${__VU}-${__ITER}-${Math.floor(Math.random() * 1e9)}`;
  const res = http.post(
    `${BASE_URL}/api/events/${data.eventId}/tickets`,
    JSON.stringify({ userId, sku: data.sku }),
    {
      headers: JSON_HEADERS,
      tags: { name: "join" },
    },
  );
  const ok = check(res, {
    "joined (202)": (r) => r.status === 202,
    "has ticket and token": (r) =>
      r.status !== 202 || (Boolean(r.json("ticketId")) && Boolean(r.json("token"))),
  });
  if (!ok && res.status < 500) refused.add(1, { code: String(res.json("error.code") || res.status) });
}

export function teardown(data) {
  if (data.created && __ENV.KEEP_EVENT !== "1") admin("POST", `/api/admin/events/${data.eventId}/stop`);
}
