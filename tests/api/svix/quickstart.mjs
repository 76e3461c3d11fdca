// Svix's quickstart, run by Svix's own JavaScript SDK (npm `svix`, pinned by
// tests/package-lock.json) against Hookline; started by test_node_sdk.py.
//
//   HOOKLINE_URL=http://127.0.0.1:8780 HOOKLINE_KEY=... node tests/api/svix/quickstart.mjs
//
// It receives the webhooks itself (a server on 127.0.0.1), verifies them with the SDK's
// Webhook class, and prints one JSON line of what it saw; any failed check exits 1.

import http from "node:http";
import assert from "node:assert/strict";
import svixPackage from "svix";

const { Svix, Webhook, ApiException } = svixPackage;
const server = process.env.HOOKLINE_URL;
const key = process.env.HOOKLINE_KEY;
assert.ok(server && key, "HOOKLINE_URL and HOOKLINE_KEY are required");
// The SDK 1.x generation: filterTypes, not eventTypes. No retries: failures show as they are.
const svix = new Svix(key, { serverUrl: server, retryScheduleInMs: [] });
const deadline = Date.now() + 60_000;

// A receiver: the first `failFirst` requests to /flaky answer 500, everything else 200.
const received = [];
let failFirst = 3;
const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const flaky = req.url.startsWith("/flaky");
    received.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
    if (flaky && failFirst > 0) {
      failFirst -= 1;
      res.writeHead(500).end("not yet");
    } else {
      res.writeHead(200).end("ok");
    }
  });
});
await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${receiver.address().port}`;

async function until(what, check) {
  while (Date.now() < deadline) {
    const got = await check();
    if (got) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function refused(status, call) {
  try {
    await call();
  } catch (err) {
    assert.ok(err instanceof ApiException, `not an ApiException: ${err}`);
    assert.equal(err.code, status, JSON.stringify(err.body));
    return err.body;
  }
  throw new Error(`expected ${status}`);
}

const headersOf = (r) =>
  Object.fromEntries(Object.entries(r.headers).filter(([k]) => k.startsWith("webhook-")));
const at = (path) => received.filter((r) => r.path.startsWith(path));
const summary = {};

await svix.eventType.create({ name: "user.signup", description: "A user signed up" });
await svix.eventType.create({ name: "invoice.paid", description: "An invoice was paid" });
const app = await svix.application.create({ name: "Acme (node)", uid: "acme-node" });
assert.equal((await svix.application.getOrCreate({ name: "Acme (node)", uid: "acme-node" })).id, app.id);

const ep = await svix.endpoint.create(app.id, {
  url: `${base}/hook`,
  filterTypes: ["user.signup"],
  channels: ["project_1"],
  uid: "main-hook",
});
assert.deepEqual([ep.filterTypes, ep.channels, ep.version], [["user.signup"], ["project_1"], 1]);
const other = await svix.endpoint.create(app.id, { url: `${base}/other`, channels: ["project_2"] });
assert.equal(other.filterTypes ?? null, null); // null: every event type
const secret = (await svix.endpoint.getSecret(app.id, "main-hook")).key;

const msg = await svix.message.create(app.id, {
  eventType: "user.signup",
  payload: { username: "ada" },
  eventId: "signup-ada",
  channels: ["project_1"],
});
const conflict = await refused(409, () =>
  svix.message.create(app.id, { eventType: "user.signup", payload: {}, eventId: "signup-ada" }),
);
assert.equal(conflict.code, "conflict");

const first = await until("the first delivery", () => at("/hook")[0]);
new Webhook(secret).verify(first.body, headersOf(first));
assert.equal(first.headers["webhook-id"], msg.id);
assert.throws(() => new Webhook("whsec_" + "A".repeat(43) + "=").verify(first.body, headersOf(first)));

const attempts = await until("an attempt", async () => {
  const page = await svix.messageAttempt.listByEndpoint(app.id, ep.id);
  return page.data.length ? page : null;
});
assert.deepEqual([attempts.data[0].msgId, attempts.data[0].status, attempts.data[0].responseStatusCode], [msg.id, 0, 200]);

await svix.messageAttempt.resend(app.id, msg.id, ep.id);
await until("the resent delivery", () => at("/hook").length >= 2);
assert.equal(at("/hook")[1].headers["webhook-id"], msg.id);

await svix.endpoint.rotateSecret(app.id, ep.id, {});
const rotated = (await svix.endpoint.getSecret(app.id, ep.id)).key;
assert.notEqual(rotated, secret);
await svix.message.create(app.id, { eventType: "user.signup", payload: { n: 2 }, channels: ["project_1"] });
const third = await until("a delivery after the rotation", () => at("/hook")[2]);
new Webhook(rotated).verify(third.body, headersOf(third));
new Webhook(secret).verify(third.body, headersOf(third)); // the old one, during its grace

const access = await svix.authentication.appPortalAccess(app.id, {});
const landing = await fetch(access.url, { redirect: "manual" });
assert.equal(landing.status, 200);
const cookie = landing.headers.get("set-cookie").split(";")[0];
const portal = await fetch(`${server}/ui/tenants/${app.id}`, { headers: { cookie } });
const portalPage = await portal.text();
assert.ok(portalPage.includes("Tenant portal") && portalPage.includes(`${base}/hook`));

// Recover: three failed attempts expire the delivery; recover sends it again.
const flaky = await svix.endpoint.create(app.id, { url: `${base}/flaky`, filterTypes: ["invoice.paid"] });
const lost = await svix.message.create(app.id, { eventType: "invoice.paid", payload: { lost: true } });
await until("the flaky endpoint to give up", async () => {
  const page = await svix.messageAttempt.listAttemptedMessages(app.id, flaky.id);
  return page.data.length && page.data[0].status === 2;
});
const recovery = await svix.endpoint.recover(app.id, flaky.id, { since: new Date(Date.now() - 3600_000) });
assert.equal(recovery.status, "finished");
await until("the recovered delivery", () => at("/flaky").length >= 4);
assert.deepEqual([...new Set(at("/flaky").map((r) => r.headers["webhook-id"]))], [lost.id]);

// 120 messages in all, paged through with the iterator: each seen once.
const sent = new Set([msg.id, third.headers["webhook-id"], lost.id]);
for (let n = sent.size; n < 120; n++) {
  sent.add((await svix.message.create(app.id, { eventType: "invoice.paid", payload: { n } })).id);
}
const seen = [];
let iterator = undefined;
for (let pages = 0; pages < 10; pages++) {
  const page = await svix.message.list(app.id, { limit: 50, iterator });
  seen.push(...page.data.map((m) => m.id));
  if (page.done) break;
  iterator = page.iterator;
}
assert.equal(seen.length, 120);
assert.equal(new Set(seen).size, 120);
assert.deepEqual(new Set(seen), sent);

await svix.endpoint.delete(app.id, other.id);
await refused(404, () => svix.endpoint.get(app.id, other.id));
await svix.application.delete(app.id);
const gone = await refused(404, () => svix.application.get(app.id));
assert.equal(gone.code, "not_found");

summary.app = app.id;
summary.endpoint = ep.id;
summary.messages = seen.length;
summary.hook = at("/hook").length;
summary.lostAttempts = at("/flaky").filter((r) => r.headers["webhook-id"] === lost.id).length;
summary.otherChannel = at("/other").length;
console.log(JSON.stringify(summary));
receiver.close();
