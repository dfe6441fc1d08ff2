// Verifies one captured delivery with the Standard Webhooks and Svix libraries (code nobody on
// this project wrote). Input on stdin: {"secret","headers":{name:value},"body":"<base64>"}.
// Output: {"standardwebhooks":"ok"|error,"svix":"ok"|error}. Exit 0 either way.
import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const body = Buffer.from(input.body, "base64").toString("utf8");
const headers = Object.fromEntries(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v]));

function attempt(fn) {
  try {
    fn();
    return "ok";
  } catch (e) {
    return String(e?.message ?? e);
  }
}

const result = {
  standardwebhooks: attempt(() => new StandardWebhook(input.secret).verify(body, headers)),
  svix: attempt(() => new SvixWebhook(input.secret).verify(body, headers)),
};
process.stdout.write(JSON.stringify(result));
