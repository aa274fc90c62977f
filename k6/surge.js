// k6: a surge of shoppers. Shoppers arrive at a ramping rate, join the waiting room, and
// wait for their outcome over Socket.IO (spoken as raw Engine.IO v4 / Socket.IO v4 text
// frames: k6 has no Socket.IO client), falling back to polling GET /api/tickets/:id when
// the socket fails. Run: k6 run -e BASE_URL=http://127.0.0.1:3000 -e ADMIN_TOKEN=… k6/surge.js
//
// Environment (all optional but ADMIN_TOKEN, needed unless EVENT_ID names a live event):
//   BASE_URL          the API (http://127.0.0.1:3000)
//   ADMIN_TOKEN       admin bearer token, to create, start and finally stop the event
//   EVENT_ID          use this live event instead of creating one
//   PRODUCTS, STOCK   products of the created event and units of each (4, 100)
//   ADMISSION_RATE    tickets admitted per second by the created event (500)
//   USERS             draw user ids from this many users (repeat joins hand the open ticket
//                     back); unset: every shopper is a new user
//   START_RATE, PEAK_RATE  arrivals per second at the start and at the peak (50, 1000)
//   RAMP, HOLD        ramp-up and hold durations (30s, 30s)
//   PRE_VUS, MAX_VUS  VUs allocated up front / at most (500, 5000): each waits for its result
//   RESULT_TIMEOUT_S  how long a shopper waits for the outcome (120)
import { check, sleep } from "k6";
import http from "k6/http";
import { Counter, Rate, Trend } from "k6/metrics";
import ws from "k6/ws";

const BASE_URL = (__ENV.BASE_URL || "http://127.0.0.1:3000").replace(/\/+$/, "");
const WS_URL = `${BASE_URL.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket`;
const ADMIN_TOKEN = __ENV.ADMIN_TOKEN || "";
const RESULT_TIMEOUT_MS = Number(__ENV.RESULT_TIMEOUT_S || 120) * 1000;
const PEAK_RATE = Number(__ENV.PEAK_RATE || 1000);
const FINAL = ["CONFIRMED", "REJECTED", "FAILED", "CANCELLED"];
const JSON_HEADERS = { "content-type": "application/json" };

export const options = {
  scenarios: {
    shoppers: {
      executor: "ramping-arrival-rate",
      startRate: Number(__ENV.START_RATE || 50),
      timeUnit: "1s",
      preAllocatedVUs: Number(__ENV.PRE_VUS || 500),
      maxVUs: Number(__ENV.MAX_VUS || 5000),
      stages: [
        { target: PEAK_RATE, duration: __ENV.RAMP || "30s" },
        { target: PEAK_RATE, duration: __ENV.HOLD || "30s" },
        { target: 0, duration: "10s" },
      ],
    },
  },
  thresholds: {
    "http_req_failed{name:join}": ["rate<0.01"],
    "http_req_duration{name:join}": ["p(99)<1000"],
    joined: ["rate>0.99"],
    outcome_missing: ["count==0"],
    outcome_latency: ["p(95)<60000"],
  },
};

// A join answered with a business refusal is a correct answer, not a failed request.
http.setResponseCallback(http.expectedStatuses(200, 202, 409, 429, 503));

const joined = new Rate("joined");
const refused = new Counter("refused");
const outcomes = new Counter("outcomes");
const outcomeMissing = new Counter("outcome_missing");
const outcomeLatency = new Trend("outcome_latency", true);
const positionUpdates = new Counter("position_updates");
const viaSocket = new Rate("outcome_via_socket");

function admin(method, path, body) {
  const res = http.request(method, `${BASE_URL}${path}`, body === undefined ? null : JSON.stringify(body), {
    headers: { ...JSON_HEADERS, authorization: `Bearer ${ADMIN_TOKEN}` },
    tags: { name: `admin ${method} ${path.replace(/ev_[\w-]+/, ":eventId")}` },
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.body}`);
  return res.json();
}

export function setup() {
  if (__ENV.EVENT_ID) {
    const event = http.get(`${BASE_URL}/api/events/${__ENV.EVENT_ID}`).json();
    return { eventId: __ENV.EVENT_ID, skus: event.products.map((p) => p.sku), created: false };
  }
  if (!ADMIN_TOKEN) throw new Error("set ADMIN_TOKEN (to create the event) or EVENT_ID (a live event)");
  const products = Number(__ENV.PRODUCTS || 4);
  const skus = Array.from({ length: products }, (_, i) => `P${i + 1}`);
  const event = admin("POST", "/api/admin/events", {
    name: `k6 surge ${new Date().toISOString()}`,
    admissionRate: Number(__ENV.ADMISSION_RATE || 500),
    products: skus.map((sku) => ({
      sku,
      name: `Product ${sku}`,
      priceCents: 9900,
      stock: Number(__ENV.STOCK || 100),
    })),
  });
  admin("POST", `/api/admin/events/${event.id}/start`);
  return { eventId: event.id, skus, created: true };
}

/**
 * Waits for `ticket:result` on a Socket.IO connection: Engine.IO open (`0{…}`) → connect
 * to namespace / with auth (`40{"ticketId","token"}`) → events (`42["name",payload]`),
 * answering each ping (`2`) with a pong (`3`). Null when the socket failed or timed out.
 */
function outcomeOverSocket(ticket, deadline) {
  let result = null;
  ws.connect(WS_URL, { tags: { name: "socket.io" } }, (socket) => {
    socket.on("message", (frame) => {
      if (frame === "2") return socket.send("3");
      if (frame[0] === "0")
        return socket.send(`40${JSON.stringify({ ticketId: ticket.ticketId, token: ticket.token })}`);
      if (frame.startsWith("44") || frame.startsWith("41")) return socket.close(); // connect_error / disconnect
      if (!frame.startsWith("42")) return;
      const [name, payload] = JSON.parse(frame.slice(2));
      if (name === "queue:position") positionUpdates.add(1);
      if (name === "ticket:result") {
        result = payload;
        socket.close();
      }
    });
    socket.on("error", () => socket.close());
    socket.setTimeout(() => socket.close(), Math.max(1, deadline - Date.now()));
  });
  return result;
}

/** The fallback: GET the ticket once a second until it is final. */
function outcomeByPolling(ticket, deadline) {
  while (Date.now() < deadline) {
    const res = http.get(`${BASE_URL}/api/tickets/${ticket.ticketId}`, {
      headers: { authorization: `Bearer ${ticket.token}` },
      tags: { name: "ticket" },
    });
    if (res.status === 200 && FINAL.includes(res.json("status"))) return res.json();
    sleep(1);
  }
  return null;
}

export default function (data) {
  const sku = data.skus[Math.floor(Math.random() * data.skus.length)];
  const userId = __ENV.USERS
    ? `k6-user-${Math.floor(Math.random() * Number(__ENV.USERS))}`
    : `k6-${__VU}-${__ITER}-${Math.floor(Math.random() * 1e9)}`;
  const res = http.post(`${BASE_URL}/api/events/${data.eventId}/tickets`, JSON.stringify({ userId, sku }), {
    headers: JSON_HEADERS,
    tags: { name: "join" },
  });
  const ok = check(res, { "join answered 200/202": (r) => r.status === 200 || r.status === 202 });
  joined.add(ok);
  if (!ok) {
    if (res.status < 500) refused.add(1, { code: String(res.json("error.code") || res.status) });
    return;
  }
  const ticket = res.json();
  const start = Date.now();
  const deadline = start + RESULT_TIMEOUT_MS;
  let outcome = outcomeOverSocket(ticket, deadline);
  viaSocket.add(outcome !== null);
  if (outcome === null) outcome = outcomeByPolling(ticket, deadline);
  if (outcome === null) {
    outcomeMissing.add(1);
    return;
  }
  outcomeLatency.add(Date.now() - start, { status: outcome.status });
  outcomes.add(1, { status: outcome.status, reason: outcome.reason || "" });
}

export function teardown(data) {
  if (!data.created) return;
  const stats = admin("GET", `/api/admin/events/${data.eventId}/stats`);
  console.log(`event ${data.eventId}: ${JSON.stringify(stats)}`);
  if (__ENV.KEEP_EVENT !== "1") admin("POST", `/api/admin/events/${data.eventId}/stop`);
}
